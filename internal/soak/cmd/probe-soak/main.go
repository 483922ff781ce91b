//go:build linux

// Command probe-soak runs the soak of package internal/soak: `probe run`
// for SOAK_PROBES probes against loopback servers that fail in every way
// issue 8 lists, with plugin processes killed and stopped at random, and
// probe's and the plugins' descriptors, threads and memory sampled over
// the run. It prints a table over time and the verdicts, and exits 0 on
// PASS, 1 on FAIL, 2 when the soak itself could not run.
//
//	go run ./internal/soak/cmd/probe-soak -probe bin/probe -probes 100000
//
// `make soak` builds probe and runs this; it is not part of CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/probe-net/probe/internal/soak"
)

func main() {
	os.Exit(run())
}

func run() int {
	var cfg soak.Config
	flag.StringVar(&cfg.Probe, "probe", "bin/probe", "the probe `binary` to soak")
	flag.IntVar(&cfg.Probes, "probes", 100000, "probes in all (rounded up to whole rounds)")
	flag.IntVar(&cfg.Copies, "copies", 2, "targets of each kind")
	flag.DurationVar(&cfg.Deadline, "deadline", 0, "bound on the whole soak; probe still running then is hung (default 10m + 20ms a probe)")
	flag.DurationVar(&cfg.SampleEvery, "sample", time.Second, "how often to sample /proc")
	flag.Uint64Var(&cfg.Chaos.Seed, "seed", uint64(time.Now().UnixNano()), "seed of the chaos (printed, to repeat a run)")
	flag.IntVar(&cfg.Chaos.Disruptions, "disruptions", 2, "kills and long stops per plugin (probe replaces a plugin at most 3 times a run)")
	flag.DurationVar(&cfg.Chaos.MeanGap, "chaos-gap", 2*time.Second, "mean time between chaos events")
	flag.StringVar(&cfg.Dir, "out", "", "keep the targets file, probe's stderr, samples.csv and events.csv in `DIR`")
	serve := flag.Duration("serve", 0, "only start the servers, write the targets file to -out (or a temporary directory) and\nserve for this long (or until SIGINT/SIGTERM), to try probe by hand")
	flag.Parse()
	cfg.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *serve > 0 {
		return serveBed(ctx, cfg, *serve)
	}
	if _, err := os.Stat(cfg.Probe); err != nil {
		fmt.Fprintf(os.Stderr, "probe-soak: %v (build it with `make build`)\n", err)
		return 2
	}
	fmt.Printf("probe soak: %d probes, seed %d\n", cfg.Probes, cfg.Chaos.Seed)
	res, err := soak.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe-soak:", err)
		return 2
	}
	if err := res.Write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "probe-soak:", err)
		return 2
	}
	if !res.OK() {
		return 1
	}
	return 0
}

// serveBed runs the soak's servers for d and prints where its targets
// file is.
func serveBed(ctx context.Context, cfg soak.Config, d time.Duration) int {
	bed, err := soak.StartBed()
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe-soak:", err)
		return 2
	}
	defer bed.Close()
	dir := cfg.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "probe-soak-serve-"); err != nil {
			fmt.Fprintln(os.Stderr, "probe-soak:", err)
			return 2
		}
		defer os.RemoveAll(dir)
	}
	targets, err := soak.Targets(bed, cfg.Copies)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	file := filepath.Join(dir, "soak.hcl")
	if err == nil {
		err = os.WriteFile(file, []byte(soak.File(bed, targets, soak.FileOptions{Count: 1})), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe-soak:", err)
		return 2
	}
	fmt.Printf("serving for %s; targets file: %s\n", d, file)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	<-ctx.Done()
	return 0
}
