//go:build linux

package cli_test

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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
	kids := children(s.cmd.Process.Pid)
	if len(kids) != 8 { // dns, tcp, tls, http; cold and warm
		t.Fatalf("probe serve has %d child processes, want 8 plugins", len(kids))
	}
	for _, pid := range kids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	m := s.await(t, 30*time.Second, "healthy with every plugin restarted", func(m map[string]float64) bool {
		return restarts(m) >= float64(len(kids)) && healthy(m)
	})
	if after := children(s.cmd.Process.Pid); len(after) != len(kids) {
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
	check("/probe?target=secure", 200, "probe_success 1", `probe_phase_seconds{phase="tls"}`, "probe_ssl_earliest_cert_expiry", "probe_http_status_code 200")
	check("/probe?target=missing", 200, "probe_success 0", `probe_failed_phase_info{kind="nxdomain",phase="dns"} 1`)
	check("/probe?target=nope", 400, `unknown target "nope"`)
	raw := "127.0.0.1:" + tb.Vars()["tcp_port"] + ":tcp"
	check("/probe?target="+raw, 200, "probe_success 1", `probe_phase_seconds{phase="tcp"}`)
	check("/probe?target=127.0.0.1:1:ftp", 400, `protocol "ftp" is not one of`)
	s.stop(t)

	closed := startServe(t, tb, example(t, "prometheus/probe.hcl"), "--var", "interval=1m")
	code, body := closed.get(t, "GET", "/probe?target="+raw)
	if code != 400 || !strings.Contains(body, "--probe.allow-adhoc") {
		t.Errorf("ad-hoc target without the flag: %d %q; want 400 naming the flag", code, body)
	}
	closed.stop(t)
}

func TestServeRefusesBadFlagsAndFiles(t *testing.T) {
	r := runProbe(t, nil, "serve", example(t, "testbed.hcl"), "--log.level", "loud")
	if r.code != 2 || !strings.Contains(r.stderr, "--log.level must be one of") {
		t.Errorf("bad --log.level: exit %d, stderr %q", r.code, r.stderr)
	}
	bad := t.TempDir() + "/bad.hcl"
	os.WriteFile(bad, []byte("serve {\n  warm = [\"nope\"]\n}\n"), 0o600)
	r = runProbe(t, nil, "serve", bad, "--web.listen-address", "127.0.0.1:0")
	if r.code != 2 || !strings.Contains(r.stderr, `serve: warm names target "nope"`) {
		t.Errorf("bad serve block: exit %d, stderr %q", r.code, r.stderr)
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
