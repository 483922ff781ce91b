//go:build linux

package cli_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/internal/promtest"
	"github.com/probe-net/probe/internal/syncbuf"
)

// serveInstance is a running `probe serve`.
type serveInstance struct {
	addr   string // host:port it listens on
	cmd    *exec.Cmd
	stderr *syncbuf.Buffer
}

// startServe starts `probe serve FILE` on 127.0.0.1 with a free port and
// JSON logs, and waits for the line saying where it listens.
func startServe(t *testing.T, tb *testbed.Testbed, file string, args ...string) *serveInstance {
	t.Helper()
	s := launchServe(t, tb, file, args...)
	s.awaitServing(t)
	return s
}

// launchServe starts `probe serve FILE` as startServe does, without
// waiting.
func launchServe(t *testing.T, tb *testbed.Testbed, file string, args ...string) *serveInstance {
	t.Helper()
	return launchServeEnv(t, tb, nil, file, args...)
}

// launchServeEnv is launchServe with env added to the environment.
func launchServeEnv(t *testing.T, tb *testbed.Testbed, env []string, file string, args ...string) *serveInstance {
	t.Helper()
	args = append([]string{"serve", file, "--web.listen-address", "127.0.0.1:0", "--log.format", "json"}, args...)
	cmd := exec.Command(filepath.Join(binDir, "probe"), args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir(), "PRECONNECT_HOSTS=", "PROBE_LOG=")
	if tb != nil {
		cmd.Env = append(cmd.Env, tb.Env()...)
	}
	cmd.Env = append(cmd.Env, env...)
	s := &serveInstance{cmd: cmd, stderr: &syncbuf.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if t.Failed() {
			t.Logf("probe serve (pid %d) log:\n%s", cmd.Process.Pid, s.stderr)
		}
	})
	return s
}

// awaitServing waits up to 20 s for the line saying where s listens and
// the one saying its plugins have started.
func (s *serveInstance) awaitServing(t *testing.T) {
	t.Helper()
	s.awaitListening(t)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.stderr.String(), `"msg":"started"`) {
		if time.Now().After(deadline) {
			t.Fatalf("probe serve did not start its plugins within 20s:\n%s", s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// awaitListening waits up to 20 s for the line saying where s listens.
func (s *serveInstance) awaitListening(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s.addr == "" {
		if time.Now().After(deadline) {
			t.Fatalf("probe serve did not say where it listens within 20s:\n%s", s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
		if addrs := listenAddresses(s.stderr.String()); len(addrs) > 0 {
			s.addr = addrs[0]
		}
	}
}

// listenAddresses finds the addresses in serve's "serving" log lines.
func listenAddresses(log string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var line struct {
			Message string `json:"msg"`
			Address string `json:"address"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "serving" {
			out = append(out, line.Address)
		}
	}
	return out
}

func (s *serveInstance) get(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and expects exit status 0 within 15 s.
func (s *serveInstance) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("probe serve exited with %v after SIGTERM; want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("probe serve still running 15s after SIGTERM")
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// TestServeWithPrometheus: two `probe serve` instances (two vantage points)
// on the testbed, scraped by a real Prometheus that also evaluates
// examples/prometheus/rules.yml. p99 per phase comes out of
// histogram_quantile; probe_success tells the failing target from the
// healthy ones; a reload with a broken file keeps probing and says so.
func TestServeWithPrometheus(t *testing.T) {
	promtest.Binary(t, "prometheus")
	tb := startTestbed(t)
	src, err := os.ReadFile(example(t, "prometheus/probe.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "probe.hcl")
	if err := os.WriteFile(file, src, 0o600); err != nil {
		t.Fatal(err)
	}
	a := startServe(t, tb, file, "--var", "interval=300ms")
	b := startServe(t, tb, file, "--var", "interval=300ms")

	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: probe
    static_configs:
      - targets: [%q]
        labels: {vantage: a}
      - targets: [%q]
        labels: {vantage: b}
`, example(t, "prometheus/rules.yml"), a.addr, b.addr)
	prom := promtest.Start(t, cfg)

	phases := []string{"dns", "tcp", "tls", "http"}
	p99 := prom.Await(t, `histogram_quantile(0.99, sum by (le, phase) (rate(probe_phase_duration_seconds_bucket[30s])))`,
		30*time.Second, func(v []promtest.Sample) bool { return len(v) == len(phases) && allFinite(v) })
	for _, s := range p99 {
		if s.Value <= 0 || s.Value > 10 {
			t.Errorf("p99 of %s = %gs; want a duration within the buckets (0, 10s]", s.Labels["phase"], s.Value)
		}
	}
	recorded := prom.Await(t, `phase:probe_phase_duration_seconds:p99_5m`, 20*time.Second,
		func(v []promtest.Sample) bool { return len(v) == len(phases) })
	t.Logf("p99 per phase: %v; recorded by rules.yml: %v", p99, recorded)

	// The same p99 from the native buckets, on a Prometheus that scrapes
	// them (protobuf) and then keeps only those.
	native := promtest.Start(t, fmt.Sprintf(`global:
  scrape_interval: 1s
scrape_configs:
  - job_name: probe
    static_configs:
      - targets: [%q]
`, a.addr), "--enable-feature=native-histograms")
	fromNative := native.Await(t, `histogram_quantile(0.99, sum by (phase) (rate(probe_phase_duration_seconds[30s])))`,
		30*time.Second, func(v []promtest.Sample) bool { return len(v) == len(phases) && allFinite(v) })
	t.Logf("p99 per phase from native buckets: %v", fromNative)
	if classic := native.Query(t, `probe_phase_duration_seconds_bucket`); len(classic) != 0 {
		t.Logf("note: this Prometheus also kept %d classic bucket series", len(classic))
	}

	success := prom.Await(t, `probe_success`, 20*time.Second, func(v []promtest.Sample) bool {
		return len(v) == 2*6 // per instance: web, secure, raw, missing cold; web, secure warm
	})
	for _, s := range success {
		want := 1.0
		if s.Labels["target"] == "missing" {
			want = 0
		}
		if s.Value != want {
			t.Errorf("probe_success%v = %g, want %g", s.Labels, s.Value, want)
		}
	}
	for _, in := range []*serveInstance{a, b} {
		if code, body := in.get(t, "GET", "/-/ready"); code != 200 {
			t.Errorf("/-/ready = %d %q", code, body)
		}
	}
	reloadBroken(t, prom, a, b, file, src)
	a.stop(t)
	b.stop(t)
}

// reloadBroken breaks the file and reloads a by POST and b by SIGHUP: both
// keep probing with the old file and export
// probe_config_last_reload_successful 0; mending the file and reloading
// sets it back to 1.
func reloadBroken(t *testing.T, prom *promtest.Server, a, b *serveInstance, file string, good []byte) {
	t.Helper()
	broken := append(append([]byte{}, good...), "\ntarget \"bad\" {\n  host     = \"www.probe.test\"\n  protocol = \"gopher\"\n}\n"...)
	if err := os.WriteFile(file, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	code, body := a.get(t, "POST", "/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, `Invalid protocol: protocol = "gopher"`) {
		t.Errorf("POST /-/reload with a broken file: %d %q; want 500 saying why", code, body)
	}
	_ = b.cmd.Process.Signal(syscall.SIGHUP)
	before := prom.Query(t, `probe_probes_total{target="web", mode="cold", result="success"}`)
	prom.Await(t, `probe_config_last_reload_successful == 0`, 20*time.Second,
		func(v []promtest.Sample) bool { return len(v) == 2 })
	prom.Await(t, `probe_probes_total{target="web", mode="cold", result="success"}`, 20*time.Second,
		func(v []promtest.Sample) bool { return grewEverywhere(before, v) })

	if err := os.WriteFile(file, good, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, body := a.get(t, "POST", "/-/reload"); code != 200 {
		t.Errorf("POST /-/reload with the mended file: %d %q", code, body)
	}
	if _, body := a.get(t, "GET", "/metrics"); !strings.Contains(body, "probe_config_last_reload_successful 1") {
		t.Error("after a good reload, probe_config_last_reload_successful is not 1")
	}
}

func allFinite(v []promtest.Sample) bool {
	for _, s := range v {
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			return false
		}
	}
	return true
}

// grewEverywhere reports whether every series of before has a larger
// value in after (matched by vantage).
func grewEverywhere(before, after []promtest.Sample) bool {
	if len(before) == 0 || len(after) < len(before) {
		return false
	}
	for _, b := range before {
		grew := false
		for _, a := range after {
			if a.Labels["vantage"] == b.Labels["vantage"] && a.Value > b.Value {
				grew = true
			}
		}
		if !grew {
			return false
		}
	}
	return true
}
