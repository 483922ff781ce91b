// Command probe-bench runs probe's side-by-side benchmark suite (package
// benchsuite): the in-process baseline, probe's plugin processes and
// blackbox_exporter (when installed) against the same loopback HTTPS and
// DNS servers, probe at 1k/10k/100k targets, and the cold start of
// `probe test` against `curl -I`. `make bench` runs it; BENCHMARKS.md
// records results.
//
//	probe-bench [-full] [-reps N] [-probe bin/probe] [-raw FILE] [-sections throughput,scale,coldstart] [-cpuprofile FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/probe-net/probe/internal/benchsuite"
)

func main() {
	benchsuite.ServeMain()
	probe := flag.String("probe", "bin/probe", "the probe binary to measure")
	full := flag.Bool("full", false, "the recorded sizes (1k/10k/100k targets, bigger batches); default: the smoke size")
	reps := flag.Int("reps", 3, "interleaved repetitions of each comparison")
	raw := flag.String("raw", "", "also write every measurement to FILE in Go benchmark format (for benchstat)")
	sections := flag.String("sections", "", "comma-separated: throughput, scale, coldstart (default all)")
	env := flag.String("plugin-env", "", "comma-separated NAME=VALUE pairs added to the plugins' environment")
	cpu := flag.String("cpuprofile", "", "write this process's CPU profile to FILE")
	scale := flag.String("scale", "", "comma-separated target counts for the scale section (default 1000,10000,100000 with -full)")
	conc := flag.String("c", "", "throughput: only these concurrencies (1, 64)")
	only := flag.String("variants", "", "throughput: only variants starting with these, comma-separated (probe, in-process/IP, blackbox)")
	serve := flag.Int("serve", 0, "only start the loopback servers, write a targets file with N targets, print its path and serve until stdin closes (for profiling by hand)")
	flag.Parse()
	if *serve > 0 {
		if err := serveOnly(*serve); err != nil {
			fmt.Fprintln(os.Stderr, "probe-bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*probe, *full, *reps, *raw, *sections, *env, *cpu, *scale, *conc, *only); err != nil {
		fmt.Fprintln(os.Stderr, "probe-bench:", err)
		os.Exit(1)
	}
}

func run(probe string, full bool, reps int, raw, sections, env, cpu, scale, conc, only string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o := benchsuite.Options{Probe: probe, Full: full, Reps: reps, Report: os.Stdout}
	if sections != "" {
		o.Sections = strings.Split(sections, ",")
	}
	for _, f := range strings.Split(conc, ",") {
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || (n != 1 && n != 64) {
			return fmt.Errorf("-c: %q: want 1 or 64", f)
		}
		o.Concurrency = append(o.Concurrency, n)
	}
	if only != "" {
		o.Variants = strings.Split(only, ",")
	}
	for _, f := range strings.Split(scale, ",") {
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("-scale: %q is not a positive number", f)
		}
		o.Scale = append(o.Scale, n)
	}
	if env != "" {
		o.PluginEnv = strings.Split(env, ",")
	}
	if raw != "" {
		f, err := os.Create(raw)
		if err != nil {
			return err
		}
		defer f.Close()
		o.Raw = f
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return benchsuite.Run(ctx, o)
}

func serveOnly(n int) error {
	l, err := benchsuite.StartLoopback(benchsuite.LoopbackOptions{Addresses: 64})
	if err != nil {
		return err
	}
	defer l.Close()
	dir, err := os.MkdirTemp("", "probe-bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "targets.hcl")
	if err := benchsuite.WriteTargetsFile(file, l, n); err != nil {
		return err
	}
	fmt.Printf("targets file: %s\nHTTPS: 127.0.0.1:%d (and %d more addresses)\nDNS: %s\nCA: %s\n", file, l.HTTPSPort, len(l.Addrs)-1, l.DNSAddr, l.CAFile)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}
