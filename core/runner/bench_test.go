//go:build linux

package runner_test

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/session"
	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/internal/benchsuite"
	"github.com/probe-net/probe/internal/loopback"
	"github.com/probe-net/probe/plugins"
	"github.com/probe-net/probe/sdk"
)

// The benchmarks probe the loopback testbed through plugin processes and
// through runner.InProcess, the baseline with no processes, RPC or
// descriptor passing. ns/op is one whole probe; "phase-ms/op" is the sum of
// the phases' own measurements, so the gap between the two variants is
// what the plugin framework costs. Results and method: BENCHMARKS.md.

func benchTestbed(b *testing.B) *testbed.Testbed {
	tb, err := testbed.Start(testbed.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tb.Close() })
	return tb
}

func pluginConfig(tb *testbed.Testbed) map[string]map[string]any {
	return map[string]map[string]any{
		"dns": {"servers": []string{tb.DNSAddr}},
		"tls": {"ca_file": tb.CAFile},
	}
}

func benchTarget(b *testing.B, name, host, addr, protocol string) plan.Target {
	_, port, _ := net.SplitHostPort(addr)
	p, err := strconv.Atoi(port)
	if err != nil {
		b.Fatal(err)
	}
	t := plan.Target{Target: sdk.Target{Name: name, Host: host, Port: p, Protocol: protocol}, Timeout: 5 * time.Second}
	t.Phases = map[string][]string{"http": {"dns", "tcp", "http"}, "https": {"dns", "tcp", "tls", "http"}}[protocol]
	return t
}

func inProcess(b *testing.B, tb *testbed.Testbed) runner.InProcess {
	ip := runner.InProcess{}
	for name, cfg := range map[string]map[string]any{"dns": pluginConfig(tb)["dns"], "tcp": nil, "tls": pluginConfig(tb)["tls"], "http": nil} {
		phase, _ := plugins.Builtin(name)
		raw, _ := json.Marshal(cfg)
		if cfg == nil {
			raw = []byte("{}")
		}
		if err := phase.Configure(sdk.NewConfig(raw)); err != nil {
			b.Fatal(err)
		}
		ip[name] = phase
	}
	return ip
}

func outOfProcess(b *testing.B, tb *testbed.Testbed, p *plan.Plan) *session.Session {
	return startBenchWith(b, p, pluginConfig(tb))
}

func startBench(b *testing.B, p *plan.Plan, env ...string) *session.Session {
	return startBenchWith(b, p, nil, env...)
}

func startBenchWith(b *testing.B, p *plan.Plan, defaults map[string]map[string]any, env ...string) *session.Session {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := startConfigured(ctx, p, testOptions(nil, env...), defaults)
	b.Cleanup(func() { s.Close() })
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchProbe runs b.N sequential probes of t and reports the phases' own
// time next to the wall time.
func benchProbe(b *testing.B, p *plan.Plan, phases runner.Phases) {
	// One untimed probe first: the first call into a process pays one-off
	// costs (gRPC connection, TLS config, allocations) that are not per probe.
	p.Run.Count = 1
	runner.Run(context.Background(), p, phases, runner.Options{}, func(sample.Sample) {})
	p.Run.Count = b.N
	var phaseTime time.Duration
	failed := 0
	usage := measureUsage(b, phases)
	b.ResetTimer()
	runner.Run(context.Background(), p, phases, runner.Options{}, func(s sample.Sample) {
		phaseTime += s.Total()
		if !s.OK() {
			failed++
		}
	})
	b.StopTimer()
	usage()
	if failed > 0 {
		b.Fatalf("%d of %d probes failed", failed, b.N)
	}
	b.ReportMetric(float64(phaseTime)/float64(b.N)/1e6, "phase-ms/op")
}

func BenchmarkProbe(b *testing.B) {
	tb := benchTestbed(b)
	for _, c := range []struct{ name, host, addr, protocol string }{
		{"https", "secure.probe.test", tb.HTTPSAddr, "https"},
		{"http", "www.probe.test", tb.HTTPAddr, "http"},
	} {
		p := &plan.Plan{Targets: []plan.Target{benchTarget(b, c.name, c.host, c.addr, c.protocol)}}
		p.Run.Sequential = true
		for _, ph := range p.Targets[0].Phases {
			p.Plugins = append(p.Plugins, plan.Plugin{Name: ph, Builtin: ph})
		}
		b.Run(c.name+"/in-process", func(b *testing.B) { benchProbe(b, p, inProcess(b, tb)) })
		b.Run(c.name+"/plugins", func(b *testing.B) { benchProbe(b, p, outOfProcess(b, tb, p)) })
	}
}

// benchListener accepts and holds connections until the benchmark ends.
func benchListener(b *testing.B) (int, func()) {
	return loopback.ServeTest(b, func(c net.Conn) { _, _ = c.Read(make([]byte, 1)) }).Port(), nil
}

var netipLoopback = netip.MustParseAddr("127.0.0.1")

// measureUsage starts measuring the CPU time and context switches of this
// process and of phases' plugin processes; the function it returns reports
// them per op ("cpu-ms/op", "switches/op"). On a shared machine they are
// steadier than wall time.
func measureUsage(b *testing.B, phases runner.Phases) func() {
	pids := []int{os.Getpid()}
	if s, ok := phases.(*session.Session); ok {
		for _, p := range s.Plugins() {
			pids = append(pids, p.PID)
		}
	}
	before := benchsuite.TotalUsage(pids)
	return func() {
		u := benchsuite.TotalUsage(pids).Sub(before)
		b.ReportMetric(float64(u.CPU)/1e6/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(u.Switches)/float64(b.N), "switches/op")
	}
}
