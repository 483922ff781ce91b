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
	flag.StringVar(&cfg.Dir, "out", "", "keep the targets file, probe's output (probe.json, probe.stderr), samples.csv and events.csv in `DIR`")
	flag.Parse()
	cfg.Log = os.Stderr
	if _, err := os.Stat(cfg.Probe); err != nil {
		fmt.Fprintf(os.Stderr, "probe-soak: %v (build it with `make build`)\n", err)
		return 2
	}
	fmt.Printf("probe soak: %d probes, seed %d\n", cfg.Probes, cfg.Chaos.Seed)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
