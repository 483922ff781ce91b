//go:build linux

package cli_test

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/probe-net/probe/internal/loopback"
	"github.com/probe-net/probe/internal/proctest"
)

// metrics scrapes s's /metrics and returns each sample's value by its
// series in text form: `probe_success{mode="cold",target="web"}`.
func (s *serveInstance) metrics(t *testing.T) map[string]float64 {
	t.Helper()
	_, body := s.get(t, "GET", "/metrics")
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	out := map[string]float64{}
	for name, mf := range families {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+strconv.Quote(l.GetValue()))
			}
			key := name + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// await scrapes s until ok accepts the metrics, for at most d.
func (s *serveInstance) await(t *testing.T, d time.Duration, what string, ok func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := s.metrics(t)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, still not %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func healthy(m map[string]float64) bool {
	for _, target := range []string{"web", "secure", "raw"} {
		if m[`probe_success{mode="cold",target="`+target+`"}`] != 1 {
			return false
		}
	}
	return m[`probe_success{mode="warm",target="web"}`] == 1 && m[`probe_success{mode="warm",target="secure"}`] == 1
}

func restarts(m map[string]float64) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, "probe_plugin_restarts_total{") {
			n += v
		}
	}
	return n
}

// TestServeReplacesKilledPlugins: every plugin process killed with
// SIGKILL comes back (counted in probe_plugin_restarts_total) and the
// healthy targets are healthy again.
func TestServeReplacesKilledPlugins(t *testing.T) {
	tb := startTestbed(t)
	s := startServe(t, tb, example(t, "prometheus/probe.hcl"), "--var", "interval=200ms")
	s.await(t, 20*time.Second, "healthy", healthy)
	kids := proctest.Children(s.cmd.Process.Pid)
	if len(kids) != 8 { // dns, tcp, tls, http; cold and warm
		t.Fatalf("probe serve has %d child processes, want 8 plugins", len(kids))
	}
	for _, pid := range kids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	m := s.await(t, 30*time.Second, "healthy with every plugin restarted", func(m map[string]float64) bool {
		return restarts(m) >= float64(len(kids)) && healthy(m)
	})
	if after := proctest.Children(s.cmd.Process.Pid); len(after) != len(kids) {
		t.Errorf("%d plugin processes after the restarts, want %d", len(after), len(kids))
	}
	t.Logf("restarts: %g", restarts(m))
	s.stop(t)
}

// TestServeProbeEndpoint: /probe probes a target of the file now; other
// names are refused unless --probe.allow-adhoc, and then only
// host:port:proto whose phases have plugins running.
func TestServeProbeEndpoint(t *testing.T) {
	tb := startTestbed(t)
	s := startServe(t, tb, example(t, "prometheus/probe.hcl"), "--var", "interval=1m", "--probe.allow-adhoc")
	check := func(path string, wantCode int, want ...string) {
		t.Helper()
		code, body := s.get(t, "GET", path)
		if code != wantCode {
			t.Errorf("GET %s = %d %q, want %d", path, code, body, wantCode)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: %q lacks %q", path, body, w)
			}
		}
	}
	check("/probe?target=secure", 200, `probe_success{mode="cold"} 1`, `probe_phase_last_duration_seconds{mode="cold",phase="tls"}`,
		`probe_ssl_earliest_cert_expiry{mode="cold"}`, `probe_http_status_code{mode="cold"} 200`)
	check("/probe?target=missing", 200, `probe_success{mode="cold"} 0`, `probe_failed_phase_info{kind="nxdomain",mode="cold",phase="dns"} 1`,
		`probe_http_status_code{mode="cold"} 0`)
	check("/probe?target=nope", 400, `unknown target "nope": neither a target of the targets file nor host:port:proto`)
	if _, body := s.get(t, "GET", "/probe?target=nope"); strings.Contains(body, "--probe.allow-adhoc") {
		t.Errorf("with --probe.allow-adhoc set, the refusal still asks for it: %q", body)
	}
	raw := "127.0.0.1:" + tb.Vars()["tcp_port"] + ":tcp"
	check("/probe?target="+raw, 200, `probe_success{mode="cold"} 1`, `probe_phase_last_duration_seconds{mode="cold",phase="tcp"}`)
	check("/probe?target=127.0.0.1:1:ftp", 400, `protocol "ftp" is not one of`)
	s.stop(t)

	closed := startServe(t, tb, example(t, "prometheus/probe.hcl"), "--var", "interval=1m")
	code, body := closed.get(t, "GET", "/probe?target="+raw)
	if code != 400 || !strings.Contains(body, "probing host:port:proto needs --probe.allow-adhoc") {
		t.Errorf("ad-hoc target without the flag: %d %q; want 400 naming the flag", code, body)
	}
	code, body = closed.get(t, "GET", "/probe?target=nope")
	if code != 400 || !strings.Contains(body, `unknown target "nope": not a target of the targets file`) || strings.Contains(body, "host:port:proto") {
		t.Errorf("unknown name without the flag: %d %q; want 400 saying only that the file has no such target", code, body)
	}
	closed.stop(t)
}

func TestServeRefusesBadFlagsAndFiles(t *testing.T) {
	r0 := runProbe(t, nil, "serve", "a.hcl", "b.hcl")
	if r0.code != 2 || !strings.Contains(r0.stderr, "one targets file") {
		t.Errorf("two files: exit %d, stderr %q", r0.code, r0.stderr)
	}
	r0 = runProbe(t, nil, "serve", example(t, "testbed.hcl"), "--web.max-connections", "-1")
	if r0.code != 2 || !strings.Contains(r0.stderr, "--web.max-connections -1: want 0 (no limit) or more") {
		t.Errorf("negative --web.max-connections: exit %d, stderr %q", r0.code, r0.stderr)
	}
	r0 = runProbe(t, nil, "serve", "-")
	if r0.code != 2 || !strings.Contains(r0.stderr, "cannot read its targets from stdin (-): a reload reads the file again") {
		t.Errorf("stdin as FILE: exit %d, stderr %q", r0.code, r0.stderr)
	}
	r := runProbe(t, nil, "serve", example(t, "testbed.hcl"), "--log.level", "loud")
	if r.code != 2 || !strings.Contains(r.stderr, `--log.level must be one of debug, info, warn, error, not "loud"`) {
		t.Errorf("bad --log.level: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runProbe(t, nil, "serve", example(t, "testbed.hcl"), "--log.format", "text")
	if r.code != 2 || !strings.Contains(r.stderr, `--log.format must be one of logfmt, json, not "text"`) {
		t.Errorf("bad --log.format: exit %d, stderr %q", r.code, r.stderr)
	}
	bad := t.TempDir() + "/bad.hcl"
	os.WriteFile(bad, []byte("serve {\n  warm = [\"nope\"]\n}\n"), 0o600)
	// A fatal error is the log's last entry, in the log's format.
	r = runProbe(t, nil, "serve", bad, "--web.listen-address", "127.0.0.1:0", "--log.format", "json")
	var last struct{ Level, Msg, Err string }
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	for _, l := range lines {
		if err := json.Unmarshal([]byte(l), &last); err != nil {
			t.Errorf("--log.format json: a line that is not JSON: %q", l)
		}
	}
	if r.code != 2 || last.Level != "ERROR" || last.Msg != "exiting" || !strings.Contains(last.Err, `bad.hcl:2:11: error: `) ||
		!strings.Contains(last.Err, `serve: warm names target "nope"`) {
		t.Errorf("bad serve block: exit %d, last entry %+v; want 2 and an ERROR entry naming bad.hcl:2:11", r.code, last)
	}
	r = runProbe(t, nil, "serve", bad, "--web.listen-address", "127.0.0.1:0")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "time=") || !strings.Contains(r.stderr, ` level=ERROR msg=exiting code=2 err="`) {
		t.Errorf("bad serve block, logfmt: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runProbe(t, nil, "validate", bad)
	if r.code != 2 || !strings.Contains(r.stderr, "bad.hcl:2:11") {
		t.Errorf("validate of a bad serve block: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestServeReloadDropsRemovedTargets: a good reload swaps the file in, and
// the series of a target it no longer has are gone.
func TestServeReloadDropsRemovedTargets(t *testing.T) {
	tb := startTestbed(t)
	src, err := os.ReadFile(example(t, "prometheus/probe.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/probe.hcl"
	os.WriteFile(file, src, 0o600)
	s := startServe(t, tb, file, "--var", "interval=200ms")
	s.await(t, 20*time.Second, "probing missing", func(m map[string]float64) bool {
		_, ok := m[`probe_success{mode="cold",target="missing"}`]
		return ok && healthy(m)
	})
	cut := strings.Index(string(src), `target "missing"`)
	if cut < 0 {
		t.Fatal(`examples/prometheus/probe.hcl has no target "missing"`)
	}
	os.WriteFile(file, src[:cut], 0o600)
	if code, body := s.get(t, "POST", "/-/reload"); code != 200 {
		t.Fatalf("reload: %d %q", code, body)
	}
	_, body := s.get(t, "GET", "/metrics")
	if strings.Contains(body, `target="missing"`) {
		t.Errorf("series of the removed target survive the reload:\n%s", grepLines(body, `target="missing"`))
	}
	s.await(t, 10*time.Second, "healthy after the reload", healthy)
	s.stop(t)
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// tlsTarget starts an HTTPS server on 127.0.0.1 and writes a targets file
// probing it every 200 ms, trusting its certificate.
func tlsTarget(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	file := filepath.Join(dir, "probe.hcl")
	writeFile(t, file, fmt.Sprintf(`run {
  interval = "200ms"
}

plugin "tls" {
  config {
    ca_file = %q
  }
}

target "flaky" {
  host     = "127.0.0.1"
  port     = %d
  protocol = "https"
}
`, ca, port))
	return srv, file
}

// TestServeLastProbeGaugesFollowTheTarget: the failure counter exists, at
// 0, before the first failure (so increase() sees it); once the server
// goes away, the probes fail at tcp and the gauges say so: status code 0,
// no certificate expiry, no tls or http duration, as blackbox_exporter's
// per-probe registry would.
func TestServeLastProbeGaugesFollowTheTarget(t *testing.T) {
	srv, file := tlsTarget(t)
	s := startServe(t, nil, file)
	const (
		status  = `probe_http_status_code{mode="cold",target="flaky"}`
		expiry  = `probe_ssl_earliest_cert_expiry{mode="cold",target="flaky"}`
		failed  = `probe_probes_total{mode="cold",result="failure",target="flaky"}`
		refused = `probe_failures_total{kind="refused",mode="cold",phase="tcp",target="flaky"}`
		tls     = `probe_phase_last_duration_seconds{mode="cold",phase="tls",target="flaky"}`
	)
	m := s.await(t, 20*time.Second, "probing flaky", func(m map[string]float64) bool { return m[status] == 200 })
	for _, series := range []string{failed, refused} {
		if v, ok := m[series]; !ok || v != 0 {
			t.Errorf("before any failure, %s = %v (present %v); want 0", series, v, ok)
		}
	}
	for _, series := range []string{expiry, tls} {
		if _, ok := m[series]; !ok {
			t.Errorf("after a good probe, %s is missing", series)
		}
	}
	srv.Close()
	m = s.await(t, 20*time.Second, "failing", func(m map[string]float64) bool {
		return m[`probe_success{mode="cold",target="flaky"}`] == 0 && m[failed] > 0
	})
	if v, ok := m[status]; !ok || v != 0 {
		t.Errorf("after a probe that got no response, %s = %v (present %v); want 0", status, v, ok)
	}
	for _, series := range []string{expiry, tls} {
		if v, ok := m[series]; ok {
			t.Errorf("after a probe that failed at tcp, %s = %v is still exported", series, v)
		}
	}
	s.stop(t)
}

// slowStart writes a targets file probing a TCP listener on 127.0.0.1
// whose tcp plugin is a script that touches mark, waits, and then runs
// the built-in: serve's start-up takes a while, and mark says when the
// plugins began to start.
func slowStart(t *testing.T, wait string) (file, mark string) {
	t.Helper()
	port := loopback.ServeTest(t, func(net.Conn) {}).Port() // accepts and closes
	dir := t.TempDir()
	mark = filepath.Join(dir, "started")
	script := filepath.Join(dir, "slow-tcp")
	writeFile(t, script, fmt.Sprintf("#!/bin/sh\ntouch %q\nsleep %s\nexec %q __plugin tcp\n", mark, wait, filepath.Join(binDir, "probe")))
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "probe.hcl")
	writeFile(t, file, fmt.Sprintf(`run {
  interval = "200ms"
}

plugin "tcp" {
  path = %q
}

target "raw" {
  host     = "127.0.0.1"
  port     = %d
  protocol = "tcp"
}
`, script, port))
	return file, mark
}

// gatedStart is slowStart whose plugin waits for the test to create gate
// (at most 30 s) instead of a fixed time, so that what a test checks during
// the start does not race a clock.
func gatedStart(t *testing.T) (file, mark, gate string) {
	t.Helper()
	gate = filepath.Join(t.TempDir(), "gate")
	file, mark = slowStart(t, fmt.Sprintf("0; i=0; while [ ! -e %q ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done", gate))
	return file, mark, gate
}

// awaitFile waits up to 20 s for path to exist.
func awaitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within 20s", path)
		}
	}
}

// TestServeSIGHUPWhileStartingIsAReload: a SIGHUP while the plugins start
// does not kill serve (Go's default, exit 129); the reload happens once
// it has started.
func TestServeSIGHUPWhileStartingIsAReload(t *testing.T) {
	file, mark := slowStart(t, "1")
	s := launchServe(t, nil, file)
	awaitFile(t, mark)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	s.awaitServing(t)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(s.stderr.String(), `"reloaded"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no reload within 20s of the SIGHUP sent while starting:\n%s", s.stderr)
		}
	}
	s.stop(t)
}

// TestServeChecksListenAddressFirst: a malformed --web.listen-address is a
// usage error (2), a busy one a runtime error (3), each said before any
// plugin starts.
func TestServeChecksListenAddressFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []struct {
		addr string
		code int
		want string
	}{
		{"127.0.0.1", 2, "want [HOST]:PORT"},
		{"127.0.0.1:99999", 2, `99999\" is not a port`},
		{"127.0.0.1:nope", 2, `nope\" is not a port`},
		{busy.Addr().String(), 3, "the address is in use"},
		{"127.0.0.1:0", 2, `127.0.0.1:0\" is given twice`},
	} {
		file, mark := slowStart(t, "0")
		r := runProbe(t, nil, "serve", file, "--web.listen-address", "127.0.0.1:0", "--web.listen-address", c.addr)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("--web.listen-address %s: exit %d, stderr %q; want %d saying %q", c.addr, r.code, r.stderr, c.code, c.want)
		}
		if _, err := os.Stat(mark); err == nil {
			t.Errorf("--web.listen-address %s: a plugin started before the address was checked", c.addr)
		}
	}
}

// TestServeListensOnEveryAddress: --web.listen-address is repeatable, as
// in exporter-toolkit; every address serves the same endpoints.
func TestServeListensOnEveryAddress(t *testing.T) {
	file, _ := slowStart(t, "0")
	s := startServe(t, nil, file, "--web.listen-address", "[::1]:0")
	addrs := listenAddresses(s.stderr.String())
	if len(addrs) != 2 {
		t.Fatalf("serving on %v, want 2 addresses", addrs)
	}
	for _, a := range addrs {
		other := *s
		other.addr = a
		if code, body := other.get(t, "GET", "/-/healthy"); code != 200 {
			t.Errorf("%s: /-/healthy = %d %q", a, code, body)
		}
	}
	s.stop(t)
}

// TestServeIgnoresPreconnectHosts: serve's targets are the file's alone;
// PRECONNECT_HOSTS (here a loopback listener) is ignored, with a warning.
func TestServeIgnoresPreconnectHosts(t *testing.T) {
	file, _ := slowStart(t, "0")
	extra, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	s := launchServeEnv(t, nil, []string{"PRECONNECT_HOSTS=" + extra.Addr().String() + ":tcp"}, file)
	s.awaitServing(t)
	m := s.await(t, 20*time.Second, "ready", func(m map[string]float64) bool {
		_, ok := m[`probe_success{mode="cold",target="raw"}`]
		return ok
	})
	for k := range m {
		if strings.HasPrefix(k, "probe_target_info{") && !strings.Contains(k, `target="raw"`) {
			t.Errorf("a target serve should have ignored: %s", k)
		}
	}
	if !strings.Contains(s.stderr.String(), "PRECONNECT_HOSTS is ignored by probe serve") {
		t.Errorf("no warning that PRECONNECT_HOSTS is ignored:\n%s", s.stderr)
	}
	s.stop(t)
}

// TestServeReloadNamesAMissingPluginByLine: a reload whose plugin path
// does not exist fails saying where in the file, and probing goes on.
func TestServeReloadNamesAMissingPluginByLine(t *testing.T) {
	file, _ := slowStart(t, "0")
	s := startServe(t, nil, file)
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(src), "path = ")
	if i < 0 {
		t.Fatalf("no plugin path in:\n%s", src)
	}
	line := strings.Count(string(src[:i]), "\n") + 1
	broken := strings.Replace(string(src), "slow-tcp", "no-such-plugin", 1)
	writeFile(t, file, broken)
	code, body := s.get(t, "POST", "/-/reload")
	want := fmt.Sprintf("probe.hcl:%d:", line)
	if code != 500 || !strings.Contains(body, want) || !strings.Contains(body, "does not exist") {
		t.Errorf("reload with a missing plugin: %d %q; want 500 naming %s and saying it does not exist", code, body, want)
	}
	s.await(t, 10*time.Second, "still probing", func(m map[string]float64) bool {
		return m["probe_config_last_reload_successful{}"] == 0 && m[`probe_success{mode="cold",target="raw"}`] == 1
	})
	s.stop(t)
}

// TestServeAnswersWhilePluginsStart: the endpoints answer from the moment
// serve listens, while a slow plugin starts: healthy 200, ready 503 saying
// why, reload and /probe 503; then ready once every target was probed.
func TestServeAnswersWhilePluginsStart(t *testing.T) {
	file, mark, gate := gatedStart(t)
	s := launchServe(t, nil, file)
	s.awaitListening(t)
	awaitFile(t, mark) // the plugin is starting, and waits for gate
	check := func(method, path string, wantCode int, wantBody string) {
		t.Helper()
		if code, body := s.get(t, method, path); code != wantCode || !strings.Contains(body, wantBody) {
			t.Errorf("while the plugin starts, %s %s = %d %q; want %d containing %q", method, path, code, body, wantCode, wantBody)
		}
	}
	check("GET", "/-/healthy", 200, "Healthy")
	check("GET", "/-/ready", 503, "the plugins are starting")
	check("POST", "/-/reload", 503, "still starting")
	check("GET", "/probe?target=raw", 503, "still starting")
	m := s.metrics(t)
	if _, ok := m["probe_config_last_reload_successful{}"]; ok {
		t.Error("/metrics has probe_config_last_reload_successful before the first load")
	}
	build := false
	for k := range m {
		build = build || strings.HasPrefix(k, "probe_build_info{")
	}
	if !build {
		t.Errorf("/metrics lacks probe_build_info while the plugin starts: %v", m)
	}
	writeFile(t, gate, "")
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _ := s.get(t, "GET", "/-/ready")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready 30 s after the plugin was let go:\n%s", s.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.stop(t)
}

// TestServeStopsWhilePluginsStart: SIGTERM while a plugin starts ends
// serve at once with 0, its endpoints and the plugin with it.
func TestServeStopsWhilePluginsStart(t *testing.T) {
	file, mark, _ := gatedStart(t)
	s := launchServe(t, nil, file)
	s.awaitListening(t)
	awaitFile(t, mark)
	s.stop(t) // SIGTERM; exit 0 within 15 s
	if !strings.Contains(s.stderr.String(), `"msg":"stopped while starting"`) {
		t.Errorf("no 'stopped while starting' entry:\n%s", s.stderr)
	}
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after serve exited", s.addr)
	}
}

// TestServeReloadRefusesNewHistogramShape: a reload that changes
// serve.buckets fails, saying where and what, and probing goes on.
func TestServeReloadRefusesNewHistogramShape(t *testing.T) {
	file, _ := slowStart(t, "0")
	s := startServe(t, nil, file)
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("\nserve {\n  buckets = [\"100ms\", \"1s\"]\n}\n")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, body := s.get(t, "POST", "/-/reload")
	want := filepath.Base(file) + ":15:1: serve.buckets changed: histograms keep their shape"
	if code != 500 || !strings.Contains(body, want) {
		t.Errorf("reload with new buckets: %d %q; want 500 containing %q", code, body, want)
	}
	if m := s.metrics(t); m["probe_config_last_reload_successful{}"] != 0 {
		t.Errorf("probe_config_last_reload_successful = %v, want 0", m["probe_config_last_reload_successful{}"])
	}
	s.stop(t)
}

// TestServeSaysVerboseIsIgnored: -v, which every command's help lists,
// does not change serve's log; serve says so instead of ignoring it
// silently.
func TestServeSaysVerboseIsIgnored(t *testing.T) {
	file, _ := slowStart(t, "0")
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"-v"}},
		{[]string{"PROBE_LOG=debug"}, nil},
	} {
		s := launchServeEnv(t, nil, c.env, file, c.args...)
		s.awaitServing(t)
		if want := "-v and PROBE_LOG are ignored by probe serve: use --log.level"; !strings.Contains(s.stderr.String(), want) {
			t.Errorf("serve %v with %v does not warn %q:\n%s", c.args, c.env, want, s.stderr)
		}
		s.stop(t)
	}
}

// TestServeReloadsLeakNothing: a serve reloaded over and over (as
// configuration management may do) holds no more goroutines or
// descriptors than before: every reload's old plugins, sessions and
// schedule are gone. Small margins absorb probes in flight at the two
// scrapes; a leak of one per reload exceeds them.
func TestServeReloadsLeakNothing(t *testing.T) {
	tb := startTestbed(t)
	s := startServe(t, tb, example(t, "prometheus/probe.hcl"), "--var", "interval=1s")
	s.await(t, 20*time.Second, "ready", func(map[string]float64) bool {
		code, _ := s.get(t, "GET", "/-/ready")
		return code == 200
	})
	before := s.metrics(t)
	const reloads = 20
	for i := range reloads {
		if code, body := s.get(t, "POST", "/-/reload"); code != 200 {
			t.Fatalf("reload %d: %d %s", i+1, code, body)
		}
	}
	time.Sleep(2 * time.Second) // let the last old plugins' exits be reaped
	after := s.metrics(t)
	for _, c := range []struct {
		name   string
		margin float64
	}{
		{"go_goroutines{}", 10},
		{"process_open_fds{}", 4},
	} {
		if after[c.name] > before[c.name]+c.margin {
			t.Errorf("%s: %v before %d reloads, %v after (margin %v): a leak", c.name, before[c.name], reloads, after[c.name], c.margin)
		}
	}
	t.Logf("after %d reloads: goroutines %v -> %v, fds %v -> %v", reloads,
		before["go_goroutines{}"], after["go_goroutines{}"], before["process_open_fds{}"], after["process_open_fds{}"])
	s.stop(t)
}

// TestServeSeriesOfALiteral: a target whose host is an IP literal never
// runs its resolve phase, so it has no dns failure counters and its
// probe_target_info lists only the phases it runs.
func TestServeSeriesOfALiteral(t *testing.T) {
	tb := startTestbed(t)
	s := startServe(t, tb, example(t, "prometheus/probe.hcl"), "--var", "interval=1s")
	m := s.await(t, 20*time.Second, "healthy", healthy)
	info := 0
	for k := range m {
		switch {
		case strings.HasPrefix(k, "probe_target_info{") && strings.Contains(k, `target="raw"`):
			info++
			if !strings.Contains(k, `phases="tcp"`) {
				t.Errorf("%s: want phases=\"tcp\" (127.0.0.1 skips dns)", k)
			}
		case strings.HasPrefix(k, "probe_failures_total{") && strings.Contains(k, `target="raw"`) && strings.Contains(k, `phase="dns"`):
			t.Errorf("%s: a dns failure counter for a target that never resolves", k)
		}
	}
	if info == 0 {
		t.Error("no probe_target_info for raw")
	}
	s.stop(t)
}

// TestServeLimitsConnections: with --web.max-connections 1, a second
// connection is not served while the first is open, and is once it
// closes.
func TestServeLimitsConnections(t *testing.T) {
	file, _ := slowStart(t, "0")
	s := startServe(t, nil, file, "--web.max-connections", "1")
	held, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The held connection is accepted before the next one is tried: it
	// sends a request and gets its answer (keep-alive keeps it open).
	fmt.Fprintf(held, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = held.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := held.Read(make([]byte, 512)); err != nil {
		t.Fatalf("the first connection got no answer: %v", err)
	}
	c := &http.Client{Timeout: 500 * time.Millisecond}
	if resp, err := c.Get("http://" + s.addr + "/-/healthy"); err == nil {
		resp.Body.Close()
		t.Error("a second connection was served while the first was open")
	}
	held.Close()
	c.Timeout = 10 * time.Second
	resp, err := c.Get("http://" + s.addr + "/-/healthy")
	if err != nil {
		t.Fatalf("once the first closed, the second connection: %v", err)
	}
	resp.Body.Close()
	s.stop(t)
}
