//go:build linux

package runner_test

import (
	"context"
	"testing"
	"time"

	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/sdk"
)

// BenchmarkNoopCall is one phase call to a plugin process whose phase does
// nothing: the floor of the framework's per-call cost.
func BenchmarkNoopCall(b *testing.B) {
	p := newPlan(1, target("t", 9, 5*time.Second, "crash"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := startBench(b, p, "PROBE_TEST_CRASH_MARKER=/nonexistent")
	call := runner.Call{Target: sdk.Target{Name: "t"}, Timeout: time.Second}
	if _, err := s.Run(ctx, "crash", call); err != nil {
		b.Fatal(err)
	}
	usage := measureUsage(b, s)
	b.ResetTimer()
	for range b.N {
		if _, err := s.Run(ctx, "crash", call); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	usage()
}

// BenchmarkHandOff dials in one plugin process and hands the socket to a
// second one: two calls, a descriptor each way through the host.
func BenchmarkHandOff(b *testing.B) {
	port, _ := benchListener(b)
	p := newPlan(1, target("t", port, 5*time.Second, "dial", "check"))
	p.Run.Sequential = true
	s := startBench(b, p)
	benchProbe(b, p, s)
}
