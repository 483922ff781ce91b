package preconnect_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/probe-net/probe/preconnect"
)

// openFDs counts this process's open descriptors (Linux); -1 elsewhere.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// Nothing the pool opened or started outlives Close: not when its
// connections were never used, not after requests, not while re-warming.
// The testbed runs in this process, so its side of each connection counts
// too, and must have closed.
func TestPoolCloseLeavesNothing(t *testing.T) {
	tb := startTestbed(t)
	httpsPort, httpPort := strings.Split(tb.HTTPSAddr, ":")[1], strings.Split(tb.HTTPAddr, ":")[1]
	targets := []preconnect.Target{
		{Host: "secure.probe.test", Port: port(t, tb.HTTPSAddr), Protocol: "https"},
		{Host: "www.probe.test", Port: port(t, tb.HTTPAddr), Protocol: "http"},
	}
	for _, c := range []struct {
		name     string
		opts     preconnect.PoolOptions
		requests bool
	}{
		{"unused", preconnect.PoolOptions{PerTarget: 2}, false},
		{"used", preconnect.PoolOptions{PerTarget: 2}, true},
		{"rewarming", preconnect.PoolOptions{MaxIdle: 50 * time.Millisecond, Rewarm: true}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			fds := openFDs()
			pool, err := preconnect.NewPool(testbedConfig(tb), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range pool.Warm(context.Background(), targets...) {
				if !r.OK() {
					t.Fatalf("Warm: %v", r.Err)
				}
			}
			if c.requests {
				get(t, context.Background(), pool.Transport(), "https://secure.probe.test:"+httpsPort+"/")
				get(t, context.Background(), pool.Transport(), "http://www.probe.test:"+httpPort+"/")
			}
			if c.opts.Rewarm {
				waitFor(t, "re-warming", func() bool { return pool.Stats().Warmed >= 4 })
			}
			if err := pool.Close(); err != nil {
				t.Fatal(err)
			}
			if s := pool.Stats(); s.Idle != 0 {
				t.Errorf("%d connections idle after Close", s.Idle)
			}
			goleak.VerifyNone(t, ignore)
			if fds >= 0 {
				waitFor(t, "descriptors to be closed", func() bool { runtime.GC(); return openFDs() <= fds })
			}
		})
	}
}
