// Command probe-bench runs probe's side-by-side benchmark suite; see
// BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/internal/benchsuite"
)

func main() {
	probeBin := flag.String("probe", "bin/probe", "probe binary")
	n := flag.Int("n", 2000, "probes per batch")
	c := flag.Int("c", 64, "concurrency")
	mode := flag.String("mode", "both", "in-process, plugins or both")
	cpu := flag.String("cpuprofile", "", "write a CPU profile")
	flag.Parse()
	if *cpu != "" {
		f, _ := os.Create(*cpu)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	l, err := benchsuite.StartLoopback(benchsuite.LoopbackOptions{Addresses: 16})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer l.Close()
	ctx := context.Background()
	ip, err := l.InProcess()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s, err := l.Plugins(ctx, *probeBin, append([]string{"PROBE_PLUGIN_PPROF=" + os.Getenv("PPROF_DIR")}, flag.Args()...))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Close()
	next := 0
	for round := 0; round < 3; round++ {
		if *mode != "plugins" {
			r := benchsuite.Throughput(ctx, ip, l.Targets(next, *n, false), *c, []int{os.Getpid()})
			next += *n
			fmt.Printf("in-process c=%d %6.0f/s failed %d %s\n", *c, r.PerSecond(), r.Failed, r.FirstErr)
			phases(r)
		}
		if *mode != "in-process" {
			var before []benchsuite.Usage
			for _, pid := range pids(s) {
				u, _ := benchsuite.ProcessUsage(pid)
				before = append(before, u)
			}
			r := benchsuite.Throughput(ctx, s, l.Targets(next, *n, false), *c, pids(s))
			for i, pid := range pids(s) {
				u, _ := benchsuite.ProcessUsage(pid)
				u = u.Sub(before[i])
				fmt.Printf("   pid %d: cpu %.3f ms/probe, %.1f switches/probe\n", pid, ms(u.CPU)/float64(r.Probes), float64(u.Switches)/float64(r.Probes))
			}
			next += *n
			fmt.Printf("plugins    c=%d %6.0f/s failed %d %s\n", *c, r.PerSecond(), r.Failed, r.FirstErr)
			phases(r)
		}
		_ = time.Now
	}
}

func pids(s *runner.Session) []int {
	out := []int{os.Getpid()}
	for _, p := range s.Plugins() {
		out = append(out, p.PID)
	}
	return out
}

func phases(r benchsuite.Result) {
	fmt.Printf("   cpu %.3f ms/probe, %.1f switches/probe\n", ms(r.Usage.CPU)/float64(r.Probes), float64(r.Usage.Switches)/float64(r.Probes))
	for _, name := range benchsuite.Chain {
		fmt.Printf("   %-5s own %7.3f wall %7.3f ms\n", name, ms(benchsuite.P50(r.Own[name])), ms(benchsuite.P50(r.Wall[name])))
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
