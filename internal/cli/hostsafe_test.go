//go:build linux

package cli_test

// End-to-end tests of issue 8: what a plugin process does (stop, hang,
// fork, die mid-relay) must not break probe's bounds, and a plugin gets
// only what its block gives it.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/internal/loopback"
	"github.com/probe-net/probe/internal/proctest"
)

// runningProbe is a probe process a test started and waits for, within a bound.
type runningProbe struct {
	cmd            *exec.Cmd
	stdout, stderr *bytes.Buffer
	done           chan error
}

func startProbe(t *testing.T, tb *testbed.Testbed, tmp string, env []string, args ...string) *runningProbe {
	t.Helper()
	cmd, stdout, stderr := probeCmd(t, tb, tmp, args...)
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rp := &runningProbe{cmd: cmd, stdout: stdout, stderr: stderr, done: make(chan error, 1)}
	go func() { rp.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-rp.done
	})
	return rp
}

// wait waits up to d for probe to exit and returns its exit code.
func (rp *runningProbe) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case err := <-rp.done:
		rp.done <- err // for the cleanup
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return rp.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("probe did not exit within %v\nstdout:\n%s\nstderr:\n%s", d, rp.stdout, rp.stderr)
		return -1
	}
}

// plugins waits until probe runs the n plugin processes and returns them
// by phase (the built-ins' command line is "probe __plugin PHASE").
func (rp *runningProbe) plugins(t *testing.T, tmp string, n int) map[string]int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		kids := proctest.Children(rp.cmd.Process.Pid)
		if len(kids) == n && len(socketFiles(tmp)) == n {
			out := map[string]int{}
			for _, pid := range kids {
				out[phaseOf(pid)] = pid
			}
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("plugins did not start: children %v, sockets %v\nstderr:\n%s", proctest.Children(rp.cmd.Process.Pid), socketFiles(tmp), rp.stderr)
	return nil
}

// phaseOf returns the phase a built-in plugin process serves, or its
// command line.
func phaseOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if len(args) == 3 && args[1] == "__plugin" {
		return args[2]
	}
	return strings.Join(args, " ")
}

func httpTargets(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "target %q {\n  host     = \"www.probe.test\"\n  port     = var.http_port\n  protocol = \"http\"\n}\n", n)
	}
	return b.String()
}

type pluginReport struct {
	Targets []struct {
		Name   string `json:"name"`
		Probes int    `json:"probes"`
		OK     int    `json:"ok"`
		Phases []struct {
			Phase  string `json:"phase"`
			Errors []struct {
				Kind    string `json:"kind"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"phases"`
	} `json:"targets"`
	Plugins []struct {
		Phase    string `json:"phase"`
		PID      int    `json:"pid"`
		Restarts int    `json:"restarts"`
	} `json:"plugins"`
	Interrupted bool `json:"interrupted"`
}

func decodeReport(t *testing.T, rp *runningProbe) pluginReport {
	t.Helper()
	var r pluginReport
	if err := json.Unmarshal(rp.stdout.Bytes(), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\nstderr:\n%s", err, rp.stdout, rp.stderr)
	}
	return r
}

// Issue 8, case 1: a stopped plugin does not block probe's exit; the
// results are printed and a signal still gives 130.
func TestStoppedPluginDoesNotBlockExit(t *testing.T) {
	tb := startTestbed(t)
	tmp := t.TempDir()
	file := filepath.Join(t.TempDir(), "two.hcl")
	writeFile(t, file, testbedHeader+httpTargets("a", "b"))
	rp := startProbe(t, tb, tmp, nil, "run", file, "--count", "3", "--interval", "500ms", "--timeout", "1s", "--format", "json")
	plugins := rp.plugins(t, tmp, 3)
	time.Sleep(300 * time.Millisecond)
	proctest.Stop(t, plugins["http"])
	time.Sleep(500 * time.Millisecond) // a probe is now waiting on the stopped plugin
	if err := rp.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := rp.wait(t, 15*time.Second); code != 130 {
		t.Errorf("exit %d, want 130\nstderr:\n%s", code, rp.stderr)
	}
	if r := decodeReport(t, rp); !r.Interrupted || len(r.Targets) != 2 {
		t.Errorf("report: interrupted %v, %d targets\n%s", r.Interrupted, len(r.Targets), rp.stdout)
	}
	pids := []int{}
	for _, pid := range plugins {
		pids = append(pids, pid)
	}
	assertGone(t, pids, tmp)
}

// Issue 8, case 2: a plugin stopped for good is declared hung and
// replaced; the run ends on its own, every probe is counted, and the
// replacement shows in the report.
func TestStoppedPluginIsReplacedAndTheRunEnds(t *testing.T) {
	tb := startTestbed(t)
	tmp := t.TempDir()
	file := filepath.Join(t.TempDir(), "four.hcl")
	writeFile(t, file, testbedHeader+httpTargets("a", "b", "c", "d"))
	const count = 40
	rp := startProbe(t, tb, tmp, nil, "run", file, "--count", strconv.Itoa(count), "--interval", "100ms", "--timeout", "50ms", "--format", "json")
	plugins := rp.plugins(t, tmp, 3)
	time.Sleep(time.Second)
	proctest.Stop(t, plugins["http"])
	if code := rp.wait(t, 60*time.Second); code != 1 {
		t.Errorf("exit %d, want 1 (some probes failed)\nstderr:\n%s", code, rp.stderr)
	}
	r := decodeReport(t, rp)
	for _, tg := range r.Targets {
		if tg.Probes != count || tg.OK == 0 || tg.OK == count {
			t.Errorf("target %s: %d/%d ok; want all %d probes counted, some failed while the plugin was stopped",
				tg.Name, tg.OK, tg.Probes, count)
		}
	}
	for _, pl := range r.Plugins {
		if pl.Phase == "http" && (pl.Restarts != 1 || pl.PID == plugins["http"]) {
			t.Errorf("http plugin: pid %d (stopped one %d), restarts %d; want one replacement", pl.PID, plugins["http"], pl.Restarts)
		}
	}
	assertGone(t, []int{plugins["http"]}, tmp)
}

// forkingPlugin writes a plugin that is a shell script running a child
// without exec, and a targets file using it. It returns the file and
// where the script writes its pid (its process group's id).
func forkingPlugin(t *testing.T) (file, pidFile string) {
	dir := t.TempDir()
	pidFile = filepath.Join(dir, "pid")
	writeFile(t, filepath.Join(dir, "forks.sh"), fmt.Sprintf("#!/bin/sh\necho $$ > %s\nsleep 45\n", pidFile))
	if err := os.Chmod(filepath.Join(dir, "forks.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "forks.hcl")
	writeFile(t, file, `plugin "forks" {
  path = "./forks.sh"
}
target "x" {
  host     = "127.0.0.1"
  port     = 9
  protocol = "tcp"
  phases   = ["forks"]
}
`)
	return file, pidFile
}

// Issue 8, case 3: a forking plugin's start is bounded by the start
// timeout (10s), not by its child (45s), and its whole group ends.
func TestForkingPluginStartIsBounded(t *testing.T) {
	file, pidFile := forkingPlugin(t)
	tmp := t.TempDir()
	rp := startProbe(t, nil, tmp, nil, "validate", file)
	pgid := proctest.GroupLeaderFromFile(t, pidFile)
	if code := rp.wait(t, 30*time.Second); code != 3 {
		t.Errorf("exit %d, want 3 (the plugin did not start)\nstderr:\n%s", code, rp.stderr)
	}
	// Where, which and why: the block's path, the executable, the bound.
	want := `forks.hcl:2:10: plugin "forks" (` + filepath.Join(filepath.Dir(file), "forks.sh") + `): the plugin did not finish starting within 10s`
	if !strings.Contains(rp.stderr.String(), want) {
		t.Errorf("stderr does not say %q:\n%s", want, rp.stderr)
	}
	proctest.WaitGone(t, "the forking plugin's process group", func() []int { return proctest.Group(pgid) })
}

// Issue 8, case 3: SIGINT while a forking plugin starts ends probe at once
// with 130, and the plugin's whole group with it.
func TestForkingPluginDiesWithProbeOnSIGINT(t *testing.T) {
	file, pidFile := forkingPlugin(t)
	tmp := t.TempDir()
	rp := startProbe(t, nil, tmp, nil, "validate", file)
	pgid := proctest.GroupLeaderFromFile(t, pidFile)
	time.Sleep(200 * time.Millisecond)
	if err := rp.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := rp.wait(t, 8*time.Second); code != 130 {
		t.Errorf("exit %d, want 130\nstderr:\n%s", code, rp.stderr)
	}
	proctest.WaitGone(t, "the forking plugin's process group", func() []int { return proctest.Group(pgid) })
	if dirs := runDirs(tmp); len(dirs) != 0 {
		t.Errorf("run directories left behind: %v", dirs)
	}
}

// A process a plugin forked dies with it even when probe itself is
// SIGKILLed and cannot stop anything: the kernel's SIGTERM to the plugin
// (Pdeathsig) makes it remove its socket and kill its process group.
func TestForkedChildrenDieWhenProbeIsKilled(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	writeFile(t, filepath.Join(dir, "forks.sh"), fmt.Sprintf("#!/bin/sh\nsleep 45 >/dev/null 2>&1 </dev/null &\necho $$ > %s\nexec %s %s tcp\n",
		pidFile, filepath.Join(binDir, "probe"), pluginhost.BuiltinArg))
	if err := os.Chmod(filepath.Join(dir, "forks.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := loopback.ServeTest(t, func(net.Conn) {})
	file := filepath.Join(dir, "forks.hcl")
	writeFile(t, file, fmt.Sprintf(`plugin "tcp" {
  path = "./forks.sh"
}
run {
  count    = 1000
  interval = "100ms"
}
target "x" {
  host     = "127.0.0.1"
  port     = %d
  protocol = "tcp"
}
`, srv.Port()))
	tmp := t.TempDir()
	cmd, _, stderr := probeCmd(t, nil, tmp, "run", file)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() { // whatever fails below, probe does not outlive the test
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	pgid := proctest.GroupLeaderFromFile(t, pidFile)
	deadline := time.Now().Add(20 * time.Second)
	for srv.Accepted() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if srv.Accepted() == 0 {
		t.Fatalf("no probe reached the target within 20s\nstderr:\n%s", stderr)
	}
	if len(proctest.Group(pgid)) < 2 {
		t.Fatalf("the plugin's group %d should hold the plugin and its sleep: %v", pgid, proctest.Group(pgid))
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	proctest.WaitGone(t, "the forking plugin's process group", func() []int { return proctest.Group(pgid) })
	if dirs := runDirs(tmp); len(dirs) != 0 {
		t.Errorf("run directories left behind: %v", dirs)
	}
}

// Issue 8, case 4: the tls plugin killed while it relays an HTTPS request
// is blamed (kind plugin, naming it), not the server.
func TestKilledTLSRelayIsBlamed(t *testing.T) {
	tb := startTestbed(t)
	tmp := t.TempDir()
	file := filepath.Join(t.TempDir(), "slow.hcl")
	writeFile(t, file, strings.Replace(testbedHeader, `plugin "tls" {`, `plugin "http" {
  config {
    path = "/slow?ms=4000"
  }
}

plugin "tls" {`, 1)+`
target "secure" {
  host     = "secure.probe.test"
  port     = var.https_port
  protocol = "https"
  timeout  = "8s"
}
`)
	rp := startProbe(t, tb, tmp, nil, "run", file, "--format", "json")
	plugins := rp.plugins(t, tmp, 4)
	deadline := time.Now().Add(10 * time.Second)
	for len(tb.Requests("https")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the HTTPS server got no request\nstderr:\n%s", rp.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(plugins["tls"], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := rp.wait(t, 30*time.Second); code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, rp.stderr)
	}
	r := decodeReport(t, rp)
	var errs []string
	for _, ph := range r.Targets[0].Phases {
		for _, e := range ph.Errors {
			errs = append(errs, ph.Phase+" "+e.Kind+": "+e.Message)
			if ph.Phase == "http" && e.Kind == "plugin" && strings.Contains(e.Message, `plugin "tls"`) {
				return
			}
		}
	}
	t.Errorf("errors %q; want the http phase failed with kind plugin, naming the tls plugin", errs)
}

// Issue 8, case 10: plugins do not inherit probe's environment; a plugin
// block passes what it names.
func TestPluginsGetOnlyTheirEnvironment(t *testing.T) {
	tb := startTestbed(t)
	tmp := t.TempDir()
	const canary = "canary-3c9d4b21e8"
	file := filepath.Join(t.TempDir(), "env.hcl")
	writeFile(t, file, strings.Replace(testbedHeader, `plugin "dns" {`, `plugin "dns" {
  env      = { GIVEN_TO_DNS = "given" }
  pass_env = ["PASSED_TO_DNS"]`, 1)+`
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
	rp := startProbe(t, tb, tmp, []string{"AWS_SECRET_ACCESS_KEY=" + canary, "PASSED_TO_DNS=passed"}, "run", file)
	plugins := rp.plugins(t, tmp, 4)
	for phase, pid := range plugins {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			t.Fatal(err)
		}
		env := "\x00" + string(b)
		if strings.Contains(env, canary) {
			t.Errorf("the %s plugin's environment holds the canary secret", phase)
		}
		for _, kv := range []string{"GIVEN_TO_DNS=given", "PASSED_TO_DNS=passed"} {
			if got := strings.Contains(env, "\x00"+kv+"\x00"); got != (phase == "dns") {
				t.Errorf("the %s plugin's environment has %s: %v", phase, kv, got)
			}
		}
	}
	if err := rp.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rp.wait(t, 15*time.Second)
}

// Issue 8, case 11: a pinned plugin starts only with its digest; a
// mismatch names the file and both digests.
func TestPinnedPluginDigest(t *testing.T) {
	plugin := filepath.Join(binDir, "probe-plugin-statichosts")
	b, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	actual := hex.EncodeToString(sum[:])
	wrong := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		pin  string
		code int
	}{{wrong, 3}, {actual, 0}} {
		file := filepath.Join(t.TempDir(), "pinned.hcl")
		writeFile(t, file, fmt.Sprintf(`plugin "dns" {
  path   = %q
  sha256 = %q
  config {
    hosts = { "www.probe.test" = ["127.0.0.1"] }
  }
}
target "web" {
  host     = "www.probe.test"
  port     = 9
  protocol = "tcp"
}
`, plugin, tc.pin))
		r := runProbe(t, nil, "validate", file)
		if r.code != tc.code {
			t.Errorf("pin %s: exit %d, want %d\nstderr:\n%s", tc.pin, r.code, tc.code, r.stderr)
			continue
		}
		if tc.pin == wrong {
			for _, want := range []string{plugin, actual, wrong} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("the refusal does not name %s:\n%s", want, r.stderr)
				}
			}
		}
	}
}
