//go:build linux

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/internal/proctest"
	"github.com/probe-net/probe/internal/schematest"
)

// binDir holds probe and the example plugin, built once for all tests.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if noBinaryNeeded() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "probe-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := 1
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// noBinaryNeeded reports a fuzz worker (it runs only the fuzz target) or
// -run '^$' (no test at all, as `make fuzz` asks): nothing runs the binary.
func noBinaryNeeded() bool {
	worker := flag.Lookup("test.fuzzworker")
	run := flag.Lookup("test.run")
	return (worker != nil && worker.Value.String() == "true") || (run != nil && run.Value.String() == "^$")
}

func build(dir string) error {
	for pkg, out := range map[string]string{
		"github.com/probe-net/probe/cmd/probe":                    "probe",
		"github.com/probe-net/probe/examples/plugins/statichosts": "probe-plugin-statichosts",
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", pkg, err, b)
		}
	}
	return nil
}

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func startTestbed(t *testing.T) *testbed.Testbed {
	t.Helper()
	tb, err := testbed.Start(testbed.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

type result struct {
	stdout, stderr string
	code           int
}

// probeCmd prepares bin/probe with the testbed's variables and a private
// TMPDIR, so the test can see the run's socket directory.
func probeCmd(t *testing.T, tb *testbed.Testbed, tmp string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(filepath.Join(binDir, "probe"), args...)
	// A developer's PRECONNECT_HOSTS or PROBE_LOG must not leak into the
	// tests: the first would make them probe real hosts.
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "PRECONNECT_HOSTS=", "PROBE_LOG=")
	if tb != nil {
		cmd.Env = append(cmd.Env, tb.Env()...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

func runProbe(t *testing.T, tb *testbed.Testbed, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, stdout, stderr := probeCmd(t, tb, t.TempDir(), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-ctx.Done():
		cmd.Process.Kill()
		t.Fatalf("probe %v did not finish in time; stderr:\n%s", args, stderr)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
	checkContract(t, args, r.stdout)
	return r
}

// checkContract validates what a --format json or ndjson run printed
// against the published schemas (docs/schema): every test that produces
// JSON checks the output contract.
func checkContract(t *testing.T, args []string, stdout string) {
	t.Helper()
	if stdout == "" {
		return
	}
	switch formatArg(args) {
	case "json":
		schematest.Check(t, []byte(stdout))
	case "ndjson":
		schematest.CheckLines(t, []byte(stdout))
	}
}

// formatArg is the value of --format in args ("" when absent).
func formatArg(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--format="); ok {
			return v
		}
		if a == "--format" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

type report struct {
	Schema  string `json:"schema"`
	Targets []struct {
		Name     string `json:"name"`
		Protocol string `json:"protocol"`
		Probes   int    `json:"probes"`
		OK       int    `json:"ok"`
		Phases   []struct {
			Phase   string   `json:"phase"`
			Plugin  string   `json:"plugin"`
			Count   int      `json:"count"`
			OK      int      `json:"ok"`
			Skipped int      `json:"skipped"`
			P50MS   *float64 `json:"p50_ms"`
			Errors  []struct {
				Kind    string `json:"kind"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"phases"`
		Attributes map[string]any `json:"attributes"`
	} `json:"targets"`
	Plugins []struct {
		Phase string `json:"phase"`
		PID   int    `json:"pid"`
	} `json:"plugins"`
}

func decode(t *testing.T, r result) report {
	t.Helper()
	var rep report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rep
}

func example(t *testing.T, name string) string {
	return filepath.Join(repoRoot(t), "examples", name)
}

func TestRunExampleTable(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "run", example(t, "testbed.hcl"), "--count", "3")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"TARGET", "web", "secure", "raw", "dns", "tcp", "tls", "http", "total", "3/3"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestRunExampleJSONChainsAndPhases(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "run", example(t, "testbed.hcl"), "--count", "2", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	rep := decode(t, r)
	want := map[string][]string{
		"web":    {"dns", "tcp", "http"},
		"secure": {"dns", "tcp", "tls", "http"},
		"raw":    {"dns", "tcp"},
	}
	if len(rep.Targets) != len(want) {
		t.Fatalf("got %d targets, want %d", len(rep.Targets), len(want))
	}
	for _, tg := range rep.Targets {
		var got []string
		for _, p := range tg.Phases {
			got = append(got, p.Phase)
			if p.Phase == "dns" && tg.Name == "raw" {
				if p.Skipped != 2 {
					t.Errorf("raw: dns should be skipped for an IP literal, got %+v", p)
				}
				continue
			}
			if p.OK != 2 || p.P50MS == nil || *p.P50MS <= 0 || p.Plugin == "" {
				t.Errorf("%s %s: %+v", tg.Name, p.Phase, p)
			}
		}
		if strings.Join(got, ",") != strings.Join(want[tg.Name], ",") {
			t.Errorf("%s chain = %v, want %v", tg.Name, got, want[tg.Name])
		}
		if tg.OK != 2 {
			t.Errorf("%s: %d/%d ok", tg.Name, tg.OK, tg.Probes)
		}
	}
	// Four plugin processes, one per phase, each its own; none left now.
	pids := map[int]bool{}
	for _, p := range rep.Plugins {
		if p.PID <= 0 || pids[p.PID] || p.PID == os.Getpid() {
			t.Errorf("plugin %s has pid %d", p.Phase, p.PID)
		}
		pids[p.PID] = true
	}
	if len(pids) != 4 {
		t.Errorf("%d plugin processes, want 4: %+v", len(pids), rep.Plugins)
	}
	var list []int
	for pid := range pids {
		list = append(list, pid)
	}
	assertGone(t, list, t.TempDir())
}

// One probe of an https target must use exactly one TCP connection: the
// one the tcp plugin dialled carries the TLS handshake and the HEAD.
func TestHTTPSProbeUsesOneConnection(t *testing.T) {
	tb := startTestbed(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "one.hcl")
	writeFile(t, file, testbedHeader+`
target "secure" {
  host     = "secure.probe.test"
  port     = var.https_port
  protocol = "https"
}
`)
	r := runProbe(t, tb, "run", file, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	attrs := decode(t, r).Targets[0].Attributes
	if n := tb.Accepted("https"); n != 1 {
		t.Errorf("https server accepted %d connections, want 1", n)
	}
	if n := tb.Handshakes(); n != 1 {
		t.Errorf("https server completed %d handshakes, want 1", n)
	}
	reqs := tb.Requests("https")
	if len(reqs) != 1 || reqs[0].Method != "HEAD" || !reqs[0].TLS {
		t.Fatalf("https requests = %+v, want one HEAD over TLS", reqs)
	}
	if reqs[0].RemoteAddr != attrs["tcp.local"] {
		t.Errorf("HEAD came from %s, but the tcp plugin's socket was %v", reqs[0].RemoteAddr, attrs["tcp.local"])
	}
}

func TestBadConfigExitsTwoWithPosition(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.hcl")
	writeFile(t, file, "target \"x\" {\n  host = \"a.test\"\n  protocol = \"gopher\"\n}\n")
	r := runProbe(t, nil, "run", file)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "bad.hcl:3:") {
		t.Errorf("error does not point at line 3:\n%s", r.stderr)
	}
}

func TestPluginConfigErrorPointsIntoFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "badplugin.hcl")
	writeFile(t, file, `plugin "dns" {
  config {
    transport = "carrier-pigeon"
  }
}
target "x" {
  host = "www.probe.test"
  port = 1
  protocol = "tcp"
}
`)
	r := runProbe(t, nil, "run", file)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "badplugin.hcl:3:17: error: Invalid plugin config") || !strings.Contains(r.stderr, "transport") {
		t.Errorf("error should name the transport attribute at line 3:\n%s", r.stderr)
	}
}

func TestFailedProbeExitsOneAndNamesCause(t *testing.T) {
	tb := startTestbed(t)
	file := filepath.Join(t.TempDir(), "fail.hcl")
	writeFile(t, file, testbedHeader+`
target "missing" {
  host     = "missing.probe.test"
  port     = var.http_port
  protocol = "http"
}
`)
	r := runProbe(t, tb, "run", file)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "missing dns: nxdomain") {
		t.Errorf("output should name the phase and cause:\n%s", r.stdout)
	}
}

func TestStaticHostsPluginReplacesDNS(t *testing.T) {
	tb := startTestbed(t)
	// Lay out examples/ and bin/ side by side as in the repository, so the
	// example's relative plugin path resolves.
	root := t.TempDir()
	src, err := os.ReadFile(example(t, "static-hosts.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "examples", "static-hosts.hcl"), string(src))
	plugin, _ := os.ReadFile(filepath.Join(binDir, "probe-plugin-statichosts"))
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "probe-plugin-statichosts"), plugin, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runProbe(t, tb, "run", filepath.Join(root, "examples", "static-hosts.hcl"), "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	for _, tg := range decode(t, r).Targets {
		if tg.Phases[0].Phase == "dns" && !strings.HasPrefix(tg.Phases[0].Plugin, "statichosts") && tg.Phases[0].Skipped == 0 {
			t.Errorf("%s: dns served by %q, want statichosts", tg.Name, tg.Phases[0].Plugin)
		}
	}
	if q := tb.DNSQueries(); len(q) != 0 {
		t.Errorf("the testbed's DNS server got %d queries; static hosts should need none", len(q))
	}
}

// Two plugin blocks run the same binary: each instance learns its block's
// label and reports its attributes under it, so neither overwrites the other.
func TestSecondPluginInstanceReportsUnderItsLabel(t *testing.T) {
	tb := startTestbed(t)
	plugin := filepath.Join(binDir, "probe-plugin-statichosts")
	file := filepath.Join(t.TempDir(), "two.hcl")
	writeFile(t, file, fmt.Sprintf(`
variable "tcp_port" {}

plugin "dns" {
  path = %[1]q
  config {
    hosts = { "www.probe.test" = ["127.0.0.2"] }
  }
}

plugin "pinned" {
  path = %[1]q
  config {
    hosts = { "www.probe.test" = ["127.0.0.1"] }
  }
}

target "raw" {
  host     = "www.probe.test"
  port     = var.tcp_port
  protocol = "tcp"
  phases   = ["dns", "pinned", "tcp"]
}
`, plugin))
	r := runProbe(t, tb, "run", file, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	attrs := decode(t, r).Targets[0].Attributes
	for key, want := range map[string]any{
		"dns.server": "static", "dns.answers": []any{"127.0.0.2"},
		"pinned.server": "static", "pinned.answers": []any{"127.0.0.1"},
	} {
		if !reflect.DeepEqual(attrs[key], want) {
			t.Errorf("attribute %s = %v, want %v (all: %v)", key, attrs[key], want, attrs)
		}
	}
}

// longRun writes a targets file that keeps probing for several seconds.
func longRun(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "long.hcl")
	writeFile(t, file, testbedHeader+`
run {
  count    = 100
  interval = "100ms"
}
target "secure" {
  host     = "secure.probe.test"
  port     = var.https_port
  protocol = "https"
}
`)
	return file
}

// startLong starts a long run and waits until its four plugins are up.
func startLong(t *testing.T, tb *testbed.Testbed, tmp string) (*exec.Cmd, []int, *bytes.Buffer) {
	return startLongWith(t, tb, tmp, func(*exec.Cmd) {})
}

// startLongWith is startLong with the command changed by with before it
// starts.
func startLongWith(t *testing.T, tb *testbed.Testbed, tmp string, with func(*exec.Cmd)) (*exec.Cmd, []int, *bytes.Buffer) {
	cmd, stdout, _ := probeCmd(t, tb, tmp, "run", longRun(t))
	with(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if kids := proctest.Children(cmd.Process.Pid); len(kids) == 4 && len(socketFiles(tmp)) == 4 {
			return cmd, kids, stdout
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("plugins did not start: children %v, sockets %v", proctest.Children(cmd.Process.Pid), socketFiles(tmp))
	return nil, nil, nil
}

func TestSIGTERMLeavesNoPluginOrSocket(t *testing.T) {
	tb := startTestbed(t)
	tmp := t.TempDir()
	cmd, kids, stdout := startLong(t, tb, tmp)
	time.Sleep(300 * time.Millisecond) // let a few probes finish
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit after SIGTERM: %v, want code 130", err)
	}
	if !strings.Contains(stdout.String(), "interrupted") {
		t.Errorf("output should say the run was interrupted:\n%s", stdout)
	}
	assertGone(t, kids, tmp)
}

// TestPluginsDoNotHoldProbesStdin: go-plugin passes the host's stdin on;
// the plugins point theirs at /dev/null, so a terminal's or pipe's input
// stays probe's.
func TestPluginsDoNotHoldProbesStdin(t *testing.T) {
	tb := startTestbed(t)
	tmp := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd, kids, _ := startLongWith(t, tb, tmp, func(c *exec.Cmd) { c.Stdin = r })
	r.Close()
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for _, pid := range kids {
		in, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid))
		if err != nil {
			t.Fatal(err)
		}
		if in != os.DevNull {
			t.Errorf("plugin %d has stdin %s, want %s", pid, in, os.DevNull)
		}
	}
}

func TestSIGKILLLeavesNoPluginOrSocket(t *testing.T) {
	tb := startTestbed(t)
	tmp := t.TempDir()
	cmd, kids, _ := startLong(t, tb, tmp)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	assertGone(t, kids, tmp)
}

func assertGone(t *testing.T, pids []int, tmp string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(proctest.Alive(pids)) == 0 && len(runDirs(tmp)) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("left behind: plugin processes %v, run directories %v", proctest.Alive(pids), runDirs(tmp))
	for _, pid := range proctest.Alive(pids) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func runDirs(tmp string) []string {
	m, _ := filepath.Glob(filepath.Join(tmp, "probe-run-*"))
	return m
}

func socketFiles(tmp string) []string {
	m, _ := filepath.Glob(filepath.Join(tmp, "probe-run-*", "plugin*"))
	return m
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
