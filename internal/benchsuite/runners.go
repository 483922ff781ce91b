package benchsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/session"
	"github.com/probe-net/probe/plugins"
	"github.com/probe-net/probe/sdk"
)

// Chain is the chain every comparison runs: a name resolved through the
// loopback DNS server, a new TCP connection, a verified TLS handshake and
// an HTTP HEAD, every probe cold.
var Chain = []string{"dns", "tcp", "tls", "http"}

// pluginConfig is the config both the in-process phases and the plugin
// processes get: the loopback DNS server and the bench CA.
func (l *Loopback) pluginConfig() map[string]map[string]any {
	return map[string]map[string]any{
		"dns":  {"servers": []string{l.DNSAddr}},
		"tcp":  {},
		"tls":  {"ca_file": l.CAFile},
		"http": {},
	}
}

// InProcess returns the built-in phases configured for l, called in this
// process: the baseline.
func (l *Loopback) InProcess() (runner.InProcess, error) {
	ip := runner.InProcess{}
	for name, cfg := range l.pluginConfig() {
		phase, ok := plugins.Builtin(name)
		if !ok {
			return nil, fmt.Errorf("no built-in phase %q", name)
		}
		raw, err := json.Marshal(cfg)
		if err != nil {
			return nil, err
		}
		if err := phase.Configure(sdk.NewConfig(raw)); err != nil {
			return nil, fmt.Errorf("configuring %s: %w", name, err)
		}
		ip[name] = phase
	}
	return ip, nil
}

// Plugins starts the built-in phases as plugin processes of the probe
// binary at probeBin (re-executed with pluginhost.BuiltinArg, as probe
// itself does) and configures them for l. env is added to the plugins'
// environment. Close the session when done.
func (l *Loopback) Plugins(ctx context.Context, probeBin string, env []string) (*session.Session, error) {
	var specs []plan.Plugin
	for _, name := range Chain {
		specs = append(specs, plan.Plugin{Name: name, Builtin: name})
	}
	opts := pluginhost.Options{
		Logger: hclog.New(&hclog.LoggerOptions{Level: hclog.Warn}),
		// What probe run gives them at concurrency 64; on 2 CPUs that is
		// also what it gives a run of one target at a time.
		Procs: pluginhost.ProcsFor(64),
		Builtin: func(name string) (*exec.Cmd, error) {
			cmd := exec.Command(probeBin, pluginhost.BuiltinArg, name)
			cmd.Env = append(cmd.Environ(), env...)
			return cmd, nil
		},
	}
	s, err := session.Start(ctx, specs, session.StartOptions{Host: opts})
	if err != nil {
		return s, err
	}
	for name, cfg := range l.pluginConfig() {
		raw, err := json.Marshal(cfg)
		if err != nil {
			return s, err
		}
		problems, err := s.Configure(ctx, name, raw)
		if err == nil && len(problems) > 0 {
			err = problems[0]
		}
		if err != nil {
			return s, fmt.Errorf("configuring %s: %w", name, err)
		}
	}
	return s, nil
}

// Targets returns n https targets of l: distinct names resolved by the
// loopback DNS server or, with literal, the addresses themselves (no DNS
// phase). first offsets the names, so that runs do not repeat them.
func (l *Loopback) Targets(first, n int, literal bool) []plan.Target {
	out := make([]plan.Target, n)
	for k := range out {
		i := first + k
		t := plan.Target{
			Target:  sdk.Target{Name: fmt.Sprintf("t%06d", i), Host: Name(i), Port: l.HTTPSPort, Protocol: "https"},
			Timeout: 5 * time.Second,
			Phases:  Chain,
		}
		if literal {
			t.Literal = l.Addr(i)
			t.Host = t.Literal.String()
		}
		out[k] = t
	}
	return out
}

// Result is one timed batch of probes.
type Result struct {
	Probes  int
	Failed  int
	Elapsed time.Duration
	// Own and Wall hold, per phase, each successful probe's own
	// measurement of the phase and the host's wall time around the call.
	Own, Wall map[string][]time.Duration
	FirstErr  string
	// Usage is what the processes named by Throughput's pids consumed.
	Usage Usage
}

// PerSecond is the batch's throughput.
func (r Result) PerSecond() float64 { return float64(r.Probes) / r.Elapsed.Seconds() }

// Throughput probes every target once, concurrency at a time (1 means one
// after another), through phases, and records the usage of pids.
func Throughput(ctx context.Context, phases runner.Phases, targets []plan.Target, concurrency int, pids []int) Result {
	p := &plan.Plan{Targets: targets}
	p.Run.Count, p.Run.Concurrency, p.Run.Sequential = 1, concurrency, concurrency <= 1
	res := Result{Own: map[string][]time.Duration{}, Wall: map[string][]time.Duration{}}
	before := TotalUsage(pids)
	start := time.Now()
	runner.Run(ctx, p, phases, runner.Options{}, func(s sample.Sample) {
		res.Probes++
		if !s.OK() {
			res.Failed++
			if f := s.Failure(); f != nil && res.FirstErr == "" && f.Error != nil {
				res.FirstErr = f.Name + ": " + f.Error.Message
			}
			return
		}
		for _, ph := range s.Phases {
			if ph.Status == sample.OK {
				res.Own[ph.Name] = append(res.Own[ph.Name], ph.Duration)
				res.Wall[ph.Name] = append(res.Wall[ph.Name], ph.Wall)
			}
		}
	})
	res.Elapsed = time.Since(start)
	res.Usage = TotalUsage(pids).Sub(before)
	return res
}

// P50 is the median of ds (nearest rank); 0 for none.
func P50(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
