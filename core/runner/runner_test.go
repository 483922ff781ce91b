//go:build linux

package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/session"
	"github.com/probe-net/probe/internal/loopback"
	"github.com/probe-net/probe/plugins"
	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/server"
)

// The test binary doubles as the plugin: with PROBE_TEST_PHASE set it serves
// that test phase instead of running tests.
func TestMain(m *testing.M) {
	if name := os.Getenv("PROBE_TEST_PHASE"); name != "" {
		phase, ok := testPhases[name]
		if !ok {
			phase, _ = plugins.Builtin(name)
		}
		server.Serve(phase)
		return
	}
	os.Exit(m.Run())
}

var testPhases = map[string]sdk.Phase{
	"dial":    dialPhase{},
	"crash":   crashPhase{},
	"hang":    hangPhase{},
	"check":   checkPhase{},
	"patient": patientPhase{},
	"echo":    echoPhase{},
	"stuck":   stuckConfigPhase{},
	"panic":   panicPhase{},
	"always":  alwaysCrashPhase{},
	"procs":   procsPhase{},
}

// procsPhase reports its process's GOMAXPROCS.
type procsPhase struct{ base }

func (procsPhase) Describe() sdk.Description { return sdk.Description{Name: "procs", Version: "test"} }
func (procsPhase) Run(context.Context, *sdk.Request) (*sdk.Result, error) {
	return &sdk.Result{Attributes: sdk.Attributes{"procs.gomaxprocs": runtime.GOMAXPROCS(0)}}, nil
}

type base struct{ name string }

func (b base) Describe() sdk.Description { return sdk.Description{Name: b.name, Version: "test"} }
func (base) Configure(sdk.Config) error  { return nil }

// dialPhase dials the target and hands the socket on.
type dialPhase struct{ base }

func (dialPhase) Describe() sdk.Description { return sdk.Description{Name: "dial", Version: "test"} }
func (dialPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	var d net.Dialer
	start := time.Now()
	c, err := d.DialContext(ctx, "tcp", netJoin(req))
	if err != nil {
		return &sdk.Result{Duration: time.Since(start)}, err
	}
	return &sdk.Result{Duration: time.Since(start), Conn: c, Attributes: sdk.Attributes{"dial.local": c.LocalAddr().String()}}, nil
}

func netJoin(req *sdk.Request) string {
	if len(req.Addresses) > 0 {
		return net.JoinHostPort(req.Addresses[0].String(), strconv.Itoa(req.Target.Port))
	}
	return req.Target.HostPort()
}

// crashPhase kills its own process when a marker file exists, removing the
// marker first, so exactly one call crashes.
type crashPhase struct{ base }

func (crashPhase) Describe() sdk.Description { return sdk.Description{Name: "crash", Version: "test"} }
func (crashPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	marker := os.Getenv("PROBE_TEST_CRASH_MARKER")
	if err := os.Remove(marker); err == nil {
		os.Exit(3)
	}
	return &sdk.Result{Duration: time.Microsecond, Attributes: sdk.Attributes{"crash.pid": os.Getpid()}}, nil
}

// hangPhase ignores its deadline and blocks reading the connection; it
// writes PROBE_TEST_UNBLOCKED when the read returns.
type hangPhase struct{ base }

func (hangPhase) Describe() sdk.Description { return sdk.Description{Name: "hang", Version: "test"} }
func (hangPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	_ = req.Conn.SetDeadline(time.Time{}) // defeat the SDK's deadline on purpose
	buf := make([]byte, 1)
	_, err := req.Conn.Read(buf) // returns only when the host shuts the socket down
	_ = os.WriteFile(os.Getenv("PROBE_TEST_UNBLOCKED"), nil, 0o600)
	return nil, fmt.Errorf("read returned: %v", err)
}

// stuckConfigPhase never returns from Configure.
type stuckConfigPhase struct{ base }

func (stuckConfigPhase) Describe() sdk.Description {
	return sdk.Description{Name: "stuck", Version: "test"}
}
func (stuckConfigPhase) Configure(sdk.Config) error { select {} }
func (stuckConfigPhase) Run(context.Context, *sdk.Request) (*sdk.Result, error) {
	return &sdk.Result{}, nil
}

// panicPhase panics in Run.
type panicPhase struct{ base }

func (panicPhase) Describe() sdk.Description { return sdk.Description{Name: "panic", Version: "test"} }
func (panicPhase) Run(context.Context, *sdk.Request) (*sdk.Result, error) {
	var m map[string]int
	m["boom"]++ // assignment to a nil map
	return nil, nil
}

// alwaysCrashPhase kills its process on every call.
type alwaysCrashPhase struct{ base }

func (alwaysCrashPhase) Describe() sdk.Description {
	return sdk.Description{Name: "always", Version: "test"}
}
func (alwaysCrashPhase) Run(context.Context, *sdk.Request) (*sdk.Result, error) {
	os.Exit(3)
	return nil, nil
}

// patientPhase waits for its deadline and says so in its own words.
type patientPhase struct{ base }

func (patientPhase) Describe() sdk.Description {
	return sdk.Description{Name: "patient", Version: "test"}
}
func (patientPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	<-ctx.Done()
	return nil, sdk.Errorf(sdk.KindTimeout, "patient: waited for the server until the deadline")
}

// echoPhase sends a byte over its connection and waits for the echo; the
// connection stays usable for the next probe.
type echoPhase struct{ base }

func (echoPhase) Describe() sdk.Description { return sdk.Description{Name: "echo", Version: "test"} }
func (echoPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	if _, err := req.Conn.Write([]byte{'x'}); err != nil {
		return nil, sdk.Errorf(sdk.KindReset, "write: %w", err)
	}
	if _, err := req.Conn.Read(make([]byte, 1)); err != nil {
		return nil, sdk.Errorf(sdk.KindReset, "read: %w", err)
	}
	return &sdk.Result{Reusable: true, Attributes: sdk.Attributes{"echo.local": req.Conn.LocalAddr().String()}}, nil
}

// checkPhase reports the connection's local address, proving it received
// the very socket the dial phase made.
type checkPhase struct{ base }

func (checkPhase) Describe() sdk.Description { return sdk.Description{Name: "check", Version: "test"} }
func (checkPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	if req.Conn == nil {
		return nil, sdk.Errorf(sdk.KindInput, "no connection")
	}
	return &sdk.Result{Attributes: sdk.Attributes{"check.local": req.Conn.LocalAddr().String()}}, nil
}

func testOptions(t *testing.T, env ...string) pluginhost.Options {
	logger := hclog.NewNullLogger()
	if t != nil {
		logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: t.Output()})
	}
	return pluginhost.Options{
		Logger: logger,
		Builtin: func(name string) (*exec.Cmd, error) {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), append(env, "PROBE_TEST_PHASE="+name)...)
			return cmd, nil
		},
		StartTimeout: 10 * time.Second,
	}
}

// listener accepts connections and holds them open until the client closes
// or the test ends.
func listener(t *testing.T) (port int, srv *loopback.TCPServer) {
	srv = loopback.ServeTest(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	return srv.Port(), srv
}

func newPlan(count int, targets ...plan.Target) *plan.Plan {
	p := &plan.Plan{Targets: targets}
	p.Run.Count, p.Run.Concurrency = count, 4
	seen := map[string]bool{}
	for _, t := range targets {
		for _, ph := range t.Phases {
			if !seen[ph] {
				seen[ph] = true
				p.Plugins = append(p.Plugins, plan.Plugin{Name: ph, Builtin: ph})
			}
		}
	}
	return p
}

func target(name string, port int, timeout time.Duration, phases ...string) plan.Target {
	return plan.Target{
		Target:  sdk.Target{Name: name, Host: "127.0.0.1", Port: port, Protocol: "tcp"},
		Timeout: timeout,
		Phases:  phases,
	}
}

func start(t *testing.T, p *plan.Plan, env ...string) *session.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := startConfigured(ctx, p, testOptions(t, env...), nil)
	t.Cleanup(func() { s.Close() })
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return s
}

// startConfigured starts p's plugins and configures each with the defaults
// its schema declares, as the CLI does with a targets file that sets none.
func startConfigured(ctx context.Context, p *plan.Plan, opts pluginhost.Options, defaults map[string]map[string]any) (*session.Session, error) {
	s, err := session.Start(ctx, p.Plugins, session.StartOptions{Host: opts})
	if err != nil {
		return s, err
	}
	for _, pl := range p.Plugins {
		cfg := map[string]any{}
		for _, a := range s.Describe(pl.Name).Schema {
			if v, ok := defaults[pl.Name][a.Name]; ok {
				cfg[a.Name] = v
			}
		}
		raw, err := json.Marshal(cfg)
		if err != nil {
			return s, err
		}
		problems, err := s.Configure(ctx, pl.Name, raw)
		if err != nil {
			return s, fmt.Errorf("configure %s: %w", pl.Name, err)
		}
		if len(problems) > 0 {
			return s, fmt.Errorf("configure %s: %v", pl.Name, problems)
		}
	}
	return s, nil
}

func collect(t *testing.T, p *plan.Plan, s *session.Session) []sample.Sample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []sample.Sample
	runner.Run(ctx, p, s, runner.Options{}, func(smp sample.Sample) { out = append(out, smp) })
	return out
}

func TestOneConnectionCrossesPluginProcesses(t *testing.T) {
	port, srv := listener(t)
	p := newPlan(1, target("t", port, 5*time.Second, "dial", "check"))
	s := start(t, p)
	samples := collect(t, p, s)
	if len(samples) != 1 || !samples[0].OK() {
		t.Fatalf("samples = %+v", samples)
	}
	dial, check := samples[0].Phases[0], samples[0].Phases[1]
	if dial.Attributes["dial.local"] != check.Attributes["check.local"] {
		t.Errorf("check phase saw socket %v, dial phase made %v", check.Attributes["check.local"], dial.Attributes["dial.local"])
	}
	if n := srv.Accepted(); n != 1 {
		t.Errorf("server accepted %d connections, want 1", n)
	}
	infos := s.Plugins()
	if len(infos) != 2 || infos[0].PID == infos[1].PID || infos[0].PID == os.Getpid() || infos[0].PID == 0 {
		t.Errorf("plugins should run in separate processes: %+v", infos)
	}
}

func TestCrashedPluginIsRestartedAndRunContinues(t *testing.T) {
	marker := t.TempDir() + "/crash-once"
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := newPlan(3, target("t", 9, 5*time.Second, "crash"))
	p.Run.Sequential = true
	s := start(t, p, "PROBE_TEST_CRASH_MARKER="+marker)
	firstPID := s.Plugins()[0].PID
	samples := collect(t, p, s)
	if len(samples) != 3 {
		t.Fatalf("got %d samples, want 3", len(samples))
	}
	if f := samples[0].Failure(); f == nil || f.Error.Kind != sdk.KindPlugin {
		t.Fatalf("round 0 should fail with kind plugin: %+v", samples[0].Phases)
	}
	for _, smp := range samples[1:] {
		if !smp.OK() {
			t.Fatalf("round %d after restart failed: %+v", smp.Round, smp.Phases)
		}
	}
	info := s.Plugins()[0]
	if info.Restarts != 1 || info.PID == firstPID {
		t.Errorf("restarts = %d, pid %d (was %d); want one restart with a new pid", info.Restarts, info.PID, firstPID)
	}
}

func TestHungPluginTimesOutWithoutSinkingTheRun(t *testing.T) {
	port, _ := listener(t)
	p := newPlan(2,
		target("hangs", port, 300*time.Millisecond, "dial", "hang"),
		target("fine", port, 5*time.Second, "dial", "check"),
	)
	unblocked := t.TempDir() + "/unblocked"
	s := start(t, p, "PROBE_TEST_UNBLOCKED="+unblocked)
	samples := collect(t, p, s)
	// The host shut the probe's socket down, which ended the plugin's read.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, err := os.Stat(unblocked); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hung plugin's read never returned: the host did not shut the socket down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(samples) != 4 {
		t.Fatalf("got %d samples, want 4", len(samples))
	}
	for _, smp := range samples {
		switch smp.Target {
		case "hangs":
			f := smp.Failure()
			if f == nil || f.Name != "hang" || f.Error.Kind != sdk.KindTimeout {
				t.Errorf("hanging target: %+v", smp.Phases)
			}
		case "fine":
			if !smp.OK() {
				t.Errorf("healthy target failed: %+v", smp.Phases)
			}
		}
	}
}

func TestPluginsOwnTimeoutErrorReachesTheSample(t *testing.T) {
	p := newPlan(1, target("t", 9, 200*time.Millisecond, "patient"))
	s := start(t, p)
	samples := collect(t, p, s)
	f := samples[0].Failure()
	if f == nil || f.Error.Kind != sdk.KindTimeout || f.Error.Message != "patient: waited for the server until the deadline" {
		t.Fatalf("failure = %+v, want the plugin's own timeout error", f)
	}
}

// echoServer echoes one byte per read; with closeAfterOne it closes each
// connection after its first echo, so a kept connection goes stale.
func echoServer(t *testing.T, closeAfterOne bool) (port int, srv *loopback.TCPServer) {
	srv = loopback.ServeTest(t, func(c net.Conn) {
		buf := make([]byte, 1)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			if _, err := c.Write(buf); err != nil || closeAfterOne {
				return
			}
		}
	})
	return srv.Port(), srv
}

func runReusing(t *testing.T, p *plan.Plan, s *session.Session) []sample.Sample {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []sample.Sample
	runner.Run(ctx, p, s, runner.Options{Reuse: true}, func(smp sample.Sample) { out = append(out, smp) })
	return out
}

func TestReuseKeepsTheConnectionAcrossProbes(t *testing.T) {
	port, srv := echoServer(t, false)
	p := newPlan(3, target("t", port, 5*time.Second, "dial", "echo"))
	var phases []string
	samples := func() []sample.Sample {
		s := start(t, p)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var out []sample.Sample
		opts := runner.Options{Reuse: true, OnPhase: func(_ plan.Target, round int, ph sample.Phase) {
			phases = append(phases, fmt.Sprintf("%d:%s:%s", round, ph.Name, ph.Status))
		}}
		runner.Run(ctx, p, s, opts, func(smp sample.Sample) { out = append(out, smp) })
		return out
	}()
	if len(samples) != 3 {
		t.Fatalf("got %d samples", len(samples))
	}
	first := samples[0].Phases[1].Attributes["echo.local"]
	for i, smp := range samples {
		if !smp.OK() || smp.Reused != (i > 0) {
			t.Fatalf("round %d: ok %v, reused %v: %+v", i, smp.OK(), smp.Reused, smp.Phases)
		}
		if got := smp.Phases[1].Attributes["echo.local"]; got != first {
			t.Errorf("round %d ran on %v, want the first probe's connection %v", i, got, first)
		}
	}
	if n := srv.Accepted(); n != 1 {
		t.Errorf("server accepted %d connections, want 1", n)
	}
	want := "0:dial:ok 0:echo:ok 1:dial:reused 1:echo:ok 2:dial:reused 2:echo:ok"
	if got := strings.Join(phases, " "); got != want {
		t.Errorf("OnPhase saw %q, want %q", got, want)
	}
}

func TestStaleKeptConnectionIsReplaced(t *testing.T) {
	port, srv := echoServer(t, true)
	p := newPlan(2, target("t", port, 5*time.Second, "dial", "echo"))
	samples := runReusing(t, p, start(t, p))
	if len(samples) != 2 || !samples[1].OK() {
		t.Fatalf("samples = %+v", samples)
	}
	if samples[1].Reused || !strings.Contains(samples[1].Note, "gone stale") {
		t.Errorf("round 1: reused %v, note %q; want a fresh probe explaining why", samples[1].Reused, samples[1].Note)
	}
	if n := srv.Accepted(); n != 2 {
		t.Errorf("server accepted %d connections, want 2", n)
	}
}

func TestPluginHangingInConfigureFailsStartInTime(t *testing.T) {
	p := newPlan(1, target("t", 9, time.Second, "stuck"))
	opts := testOptions(t)
	opts.StartTimeout = 500 * time.Millisecond
	began := time.Now()
	s, err := startConfigured(context.Background(), p, opts, nil)
	defer s.Close()
	if err == nil || !strings.Contains(err.Error(), "did not answer in time") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Start took %v; it should give up after the start timeout", took)
	}
}

func TestPanickingPhaseFailsOnlyItsProbe(t *testing.T) {
	p := newPlan(2, target("t", 9, 5*time.Second, "panic"))
	p.Run.Sequential = true
	s := start(t, p)
	samples := collect(t, p, s)
	if len(samples) != 2 {
		t.Fatalf("got %d samples", len(samples))
	}
	for _, smp := range samples {
		f := smp.Failure()
		if f == nil || f.Error.Kind != sdk.KindPlugin || !strings.Contains(f.Error.Message, "phase panicked: assignment to entry in nil map") {
			t.Errorf("round %d: %+v", smp.Round, f)
		}
	}
	if r := s.Plugins()[0].Restarts; r != 0 {
		t.Errorf("the process restarted %d times; a panic must not kill it", r)
	}
}

func TestGivesUpAfterMaxRestarts(t *testing.T) {
	p := newPlan(6, target("t", 9, 5*time.Second, "always"))
	p.Run.Sequential = true
	s := start(t, p)
	samples := collect(t, p, s)
	if len(samples) != 6 {
		t.Fatalf("got %d samples", len(samples))
	}
	last := samples[5].Failure()
	if last == nil || !strings.Contains(last.Error.Message, "restarted 3 times in the last 1m0s; giving up") {
		t.Errorf("last failure = %+v", last)
	}
	if r := s.Plugins()[0].Restarts; r != 3 {
		t.Errorf("restarts = %d, want 3", r)
	}
}

// TestUnlimitedRestartsBackOff: with pluginhost's Unlimited (probe serve),
// a plugin that crashes on every call is replaced again and again, past
// MaxRestarts, and calls between restarts fail at once during the backoff.
func TestUnlimitedRestartsBackOff(t *testing.T) {
	p := newPlan(16, target("t", 9, 5*time.Second, "always"))
	p.Run.Sequential = true
	p.Run.Interval = 100 * time.Millisecond
	opts := testOptions(t)
	opts.Unlimited = true
	s, err := startConfigured(context.Background(), p, opts, nil)
	t.Cleanup(func() { s.Close() })
	if err != nil {
		t.Fatal(err)
	}
	samples := collect(t, p, s)
	backoff := 0
	for _, smp := range samples {
		f := smp.Failure()
		if f == nil {
			t.Fatalf("round %d succeeded; the phase always crashes", smp.Round)
		}
		if strings.Contains(f.Error.Message, "giving up") {
			t.Errorf("round %d: %s; Unlimited never gives up", smp.Round, f.Error.Message)
		}
		if strings.Contains(f.Error.Message, "(backoff)") {
			backoff++
		}
	}
	if r := s.Plugins()[0].Restarts; r <= 3 {
		t.Errorf("restarts = %d, want more than MaxRestarts (3)", r)
	}
	if backoff == 0 {
		t.Error("no call failed fast during a restart backoff")
	}
}

func TestProbesCutShortByCancellationAreNotResults(t *testing.T) {
	p := newPlan(1, target("t", 9, 10*time.Second, "patient"))
	s := start(t, p)
	ctx, cancel := context.WithCancel(context.Background()) // as SIGINT does
	defer time.AfterFunc(300*time.Millisecond, cancel).Stop()
	var got []sample.Sample
	runner.Run(ctx, p, s, runner.Options{}, func(smp sample.Sample) { got = append(got, smp) })
	if len(got) != 0 {
		t.Errorf("emitted %+v; a probe the cancellation cut short says nothing about its target", got)
	}
}

func TestPluginProcsSetsGOMAXPROCS(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set in the environment, and wins")
	}
	p := newPlan(1, target("t", 9, 5*time.Second, "procs"))
	opts := testOptions(t)
	opts.Procs = 1
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := startConfigured(ctx, p, opts, nil)
	t.Cleanup(func() { s.Close() })
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(ctx, "procs", runner.Call{Target: sdk.Target{Name: "t"}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Attributes["procs.gomaxprocs"]; got != int64(1) {
		t.Errorf("plugin GOMAXPROCS = %v, want 1", got)
	}
}

// phases = ["tcp"] on an IP-literal host: the literal is the address, as
// the SDK says, with no resolve phase to produce it.
func TestIPLiteralWithoutAResolvePhaseConnects(t *testing.T) {
	port, _ := listener(t)
	tg := target("literal", port, 5*time.Second, "tcp")
	tg.Literal = netip.MustParseAddr("127.0.0.1")
	p := newPlan(1, tg)
	samples := collect(t, p, start(t, p))
	if len(samples) != 1 || !samples[0].OK() {
		t.Fatalf("samples = %+v, want one successful probe", samples)
	}
	if got := samples[0].Phases[0].Attributes["tcp.remote"]; got != net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) {
		t.Errorf("tcp.remote = %v, want the literal's address", got)
	}
}

// Issue 8, case 8: a phase the host abandoned reports the wall time it
// really took, so the probe's total is not understated.
func TestAbandonedPhaseReportsItsWallTime(t *testing.T) {
	port, _ := listener(t)
	const timeout = 300 * time.Millisecond
	p := newPlan(1, target("hangs", port, timeout, "dial", "hang"))
	s := start(t, p, "PROBE_TEST_UNBLOCKED="+t.TempDir()+"/unblocked")
	samples := collect(t, p, s)
	if len(samples) != 1 {
		t.Fatalf("got %d samples", len(samples))
	}
	f := samples[0].Failure()
	if f == nil || f.Name != "hang" {
		t.Fatalf("failure = %+v", f)
	}
	if f.Duration != f.Wall || f.Duration <= 0 {
		t.Errorf("abandoned phase: duration %v, wall %v; want the wall time", f.Duration, f.Wall)
	}
	// The host waited out the whole budget before abandoning the phase.
	if total := samples[0].Total(); total < timeout {
		t.Errorf("total %v is less than the %v budget the probe used up", total, timeout)
	}
}

// Connect hands the caller the connection the chain made, on the server's
// side the one connection it accepted, and a failed chain hands nothing.
func TestConnectKeepsTheConnectionForTheCaller(t *testing.T) {
	port, srv := listener(t)
	phases := runner.InProcess{"dial": dialPhase{}}
	prober := runner.NewProber(phases, runner.Options{})
	defer prober.Close()
	s, held := prober.Connect(context.Background(), target("t", port, 5*time.Second, "dial"), 0)
	if !s.OK() || held == nil {
		t.Fatalf("sample %+v, held %v", s, held)
	}
	local := s.Phases[0].Attributes["dial.local"]
	if got := held.Conn.LocalAddr().String(); got != local {
		t.Errorf("held connection is from %s; the phase dialled from %v", got, local)
	}
	if _, err := held.Conn.Write([]byte("x")); err != nil {
		t.Errorf("the held connection is not usable: %v", err)
	}
	if err := held.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// The listener counts in its own goroutine: give it a moment (bounded).
	for deadline := time.Now().Add(5 * time.Second); srv.Accepted() < 1 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := srv.Accepted(); n != 1 {
		t.Errorf("server accepted %d connections, want 1", n)
	}

	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	s, held = prober.Connect(context.Background(), target("t", closedPort, 5*time.Second, "dial"), 0)
	if s.OK() || held != nil {
		t.Errorf("a refused dial gave sample %+v, held %v", s, held)
	}
}

// In process, a failed phase's own error stays in the sample, for
// errors.Is and As (package preconnect unwraps to it); it is never
// serialised, so what the CLI writes does not change.
func TestInProcessKeepsTheCause(t *testing.T) {
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	prober := runner.NewProber(runner.InProcess{"dial": dialPhase{}}, runner.Options{})
	defer prober.Close()
	s := prober.Probe(context.Background(), target("t", closedPort, 5*time.Second, "dial"), 0)
	f := s.Failure()
	if f == nil || f.Error == nil || f.Error.Kind != sdk.KindRefused {
		t.Fatalf("sample %+v, want a refused dial", s)
	}
	if !errors.Is(f.Error, syscall.ECONNREFUSED) {
		t.Errorf("the sample's error %v (cause %v) does not unwrap to ECONNREFUSED", f.Error, f.Error.Err)
	}
	out, err := json.Marshal(f.Error)
	if err != nil || string(out) != `{"kind":"refused","message":"`+f.Error.Message+`"}` {
		t.Errorf("JSON %s, %v; want kind and message only", out, err)
	}
}

// The restart budget counts over a window: a plugin that used it fails
// with "giving up", and is restarted again once the window has passed.
func TestRestartBudgetRefillsAfterTheWindow(t *testing.T) {
	p := newPlan(3, target("t", 9, 5*time.Second, "always"))
	p.Run.Sequential = true
	opts := testOptions(t)
	opts.MaxRestarts, opts.RestartWindow = 1, 700*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := startConfigured(ctx, p, opts, nil)
	t.Cleanup(func() { s.Close() })
	if err != nil {
		t.Fatal(err)
	}
	first := collect(t, p, s)
	if len(first) != 3 || !strings.Contains(first[2].Failure().Error.Message, "giving up") {
		t.Fatalf("want the third probe to give up: %+v", first)
	}
	if r := s.Plugins()[0].Restarts; r != 1 {
		t.Fatalf("restarts = %d, want 1", r)
	}
	time.Sleep(opts.RestartWindow + 200*time.Millisecond)
	p.Run.Count = 1
	again := collect(t, p, s)
	if len(again) != 1 || strings.Contains(again[0].Failure().Error.Message, "giving up") {
		t.Errorf("after the window the plugin should be restarted again: %+v", again)
	}
	if r := s.Plugins()[0].Restarts; r != 2 {
		t.Errorf("restarts = %d, want 2", r)
	}
}
