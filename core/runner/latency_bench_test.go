//go:build linux

package runner_test

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"context"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/internal/loopback"
	"github.com/probe-net/probe/sdk"
)

// delayProxy forwards TCP connections to upstream and holds each chunk the
// server sends for delay before passing it on: injected latency on the
// response path, in userspace (tc netem is not available here).
func delayProxy(b *testing.B, upstream string, delay time.Duration) string {
	return loopback.ServeTest(b, func(c net.Conn) { proxy(c, upstream, delay) }).Addr().String()
}

func proxy(client net.Conn, upstream string, delay time.Duration) {
	defer client.Close()
	server, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		_, _ = io.Copy(server, client)
		server.(*net.TCPConn).CloseWrite()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 && delay > 0 {
			time.Sleep(delay)
		}
		if n > 0 {
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// BenchmarkInjectedLatency probes an HTTP target directly, through a proxy,
// and through the same proxy delaying the response by 5 ms. "http-ms/op" is
// the http phase as the plugin measured it; between the two proxied
// variants it should grow by the injected delay (plus the timer's overshoot).
func BenchmarkInjectedLatency(b *testing.B) {
	tb := benchTestbed(b)
	for _, c := range []struct {
		name    string
		delay   time.Duration
		proxied bool
	}{{"direct", 0, false}, {"proxy-0ms", 0, true}, {"proxy-5ms", 5 * time.Millisecond, true}} {
		addr := tb.HTTPAddr
		if c.proxied {
			addr = delayProxy(b, tb.HTTPAddr, c.delay)
		}
		_, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		pl := &plan.Plan{Targets: []plan.Target{{
			Target:  sdk.Target{Name: c.name, Host: "127.0.0.1", Port: p, Protocol: "http"},
			Timeout: 5 * time.Second, Literal: netipLoopback, Phases: []string{"dns", "tcp", "http"},
		}}}
		pl.Run.Sequential = true
		for _, ph := range []string{"tcp", "http"} {
			pl.Plugins = append(pl.Plugins, plan.Plugin{Name: ph, Builtin: ph})
		}
		b.Run(c.name, func(b *testing.B) { benchPhase(b, pl, outOfProcess(b, tb, pl), "http") })
	}
}

// benchPhase runs b.N probes and reports one phase's mean own duration.
func benchPhase(b *testing.B, p *plan.Plan, phases runner.Phases, phase string) {
	p.Run.Count = 1
	runner.Run(context.Background(), p, phases, runner.Options{}, func(sample.Sample) {})
	p.Run.Count = b.N
	var total time.Duration
	b.ResetTimer()
	runner.Run(context.Background(), p, phases, runner.Options{}, func(s sample.Sample) {
		if !s.OK() {
			b.Fatalf("probe failed: %+v", s.Failure())
		}
		for _, ph := range s.Phases {
			if ph.Name == phase {
				total += ph.Duration
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(total)/float64(b.N)/1e6, phase+"-ms/op")
}
