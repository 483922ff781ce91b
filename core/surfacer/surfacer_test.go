package surfacer

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

var testOpts = Options{Buckets: []float64{0.001, 0.01, 0.1}, NativeBucketFactor: 1.1}

func okSample(target string, dns, tcp, tls, http time.Duration) sample.Sample {
	return sample.Sample{Target: target, Wall: dns + tcp + tls + http + time.Millisecond, Phases: []sample.Phase{
		{Name: "dns", Status: sample.OK, Duration: dns},
		{Name: "tcp", Status: sample.OK, Duration: tcp},
		{Name: "tls", Status: sample.OK, Duration: tls, Attributes: sdk.Attributes{
			"tls.peer.not_after": "2030-01-02T03:04:05Z", "tls.chain.not_after": "2029-01-01T00:00:00Z"}},
		{Name: "http", Status: sample.OK, Duration: http, Attributes: sdk.Attributes{"http.status": int64(204)}},
	}}
}

func failedSample(target string) sample.Sample {
	return sample.Sample{Target: target, Wall: 3 * time.Millisecond, Phases: []sample.Phase{
		{Name: "dns", Status: sample.Failed, Duration: 2 * time.Millisecond,
			Error: &sample.Error{Kind: sdk.KindNXDomain, Message: "missing.probe.test does not exist (server 127.0.0.1:5353)"}},
	}}
}

func TestObserveCountsAndGauges(t *testing.T) {
	s := New(testOpts)
	s.Observe(Cold, okSample("web", 500*time.Microsecond, 2*time.Millisecond, 5*time.Millisecond, 50*time.Millisecond))
	s.Observe(Cold, failedSample("web"))
	s.Observe(Warm, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))

	want := `
# HELP probe_probes_total Probes by result (success or failure).
# TYPE probe_probes_total counter
probe_probes_total{mode="cold",result="failure",target="web"} 1
probe_probes_total{mode="cold",result="success",target="web"} 1
probe_probes_total{mode="warm",result="success",target="web"} 1
# HELP probe_failures_total Failed probes by the phase that failed and the error kind.
# TYPE probe_failures_total counter
probe_failures_total{kind="nxdomain",mode="cold",phase="dns",target="web"} 1
# HELP probe_success 1 if the last probe succeeded, else 0 (blackbox_exporter's meaning).
# TYPE probe_success gauge
probe_success{mode="cold",target="web"} 0
probe_success{mode="warm",target="web"} 1
# HELP probe_ssl_earliest_cert_expiry Earliest NotAfter of the certificates presented in the TLS handshake of the connection the last probe used, Unix seconds; absent when it used none (blackbox_exporter's meaning).
# TYPE probe_ssl_earliest_cert_expiry gauge
probe_ssl_earliest_cert_expiry{mode="warm",target="web"} 1.86192e+09
# HELP probe_http_status_code HTTP status code of the last probe's response; 0 when it got none (blackbox_exporter's meaning).
# TYPE probe_http_status_code gauge
probe_http_status_code{mode="warm",target="web"} 204
`
	// Not scheduled, web/cold is known by its samples alone: the last
	// one failed at dns, so nothing says it speaks HTTP.
	if err := testutil.CollectAndCompare(s, strings.NewReader(want),
		"probe_probes_total", "probe_failures_total", "probe_success", "probe_ssl_earliest_cert_expiry", "probe_http_status_code"); err != nil {
		t.Error(err)
	}
}

func TestPhaseHistogramClassicBuckets(t *testing.T) {
	s := New(testOpts)
	s.Observe(Cold, okSample("web", 500*time.Microsecond, 2*time.Millisecond, 5*time.Millisecond, 50*time.Millisecond))
	s.Observe(Cold, failedSample("web")) // a failed phase is not a latency
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "probe_phase_duration_seconds" {
			continue
		}
		got := map[string]uint64{}
		for _, m := range mf.GetMetric() {
			phase := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "phase" {
					phase = l.GetValue()
				}
			}
			h := m.GetHistogram()
			got[phase] = h.GetSampleCount()
			if len(h.GetBucket()) != 3 {
				t.Errorf("%s: %d classic buckets, want 3", phase, len(h.GetBucket()))
			}
			if h.GetSchema() == 0 && h.GetZeroThreshold() == 0 {
				t.Errorf("%s: no native histogram (schema %d, zero threshold %g)", phase, h.GetSchema(), h.GetZeroThreshold())
			}
		}
		want := map[string]uint64{"dns": 1, "tcp": 1, "tls": 1, "http": 1}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("phase %s: %d observations, want %d (all: %v)", k, got[k], v, got)
			}
		}
		return
	}
	t.Fatal("no probe_phase_duration_seconds family")
}

func TestSkippedAndReusedPhasesAreNotLatencies(t *testing.T) {
	s := New(testOpts)
	s.Observe(Warm, sample.Sample{Target: "raw", Phases: []sample.Phase{
		{Name: "dns", Status: sample.Skipped},
		{Name: "tcp", Status: sample.Reused},
		{Name: "http", Status: sample.OK, Duration: time.Millisecond},
	}})
	if n := testutil.CollectAndCount(s, "probe_phase_duration_seconds"); n != 1 {
		t.Errorf("%d phase series, want 1 (http only)", n)
	}
}

func TestRetainDropsRemovedTargets(t *testing.T) {
	s := New(testOpts)
	s.Observe(Cold, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	s.Observe(Warm, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	s.Observe(Cold, failedSample("gone"))
	before := testutil.CollectAndCount(s)
	s.Retain([]Key{{"web", Cold}})
	after := testutil.CollectAndCount(s)
	// web/cold keeps 4 phase histograms + the probe's, 1 probes counter,
	// success, duration, 4 phase gauges, cert, status = 14 series.
	if after != 14 || before <= after {
		t.Errorf("series: %d before Retain, %d after; want 14 after", before, after)
	}
	if n := testutil.CollectAndCount(s, "probe_failures_total"); n != 0 {
		t.Errorf("%d failure series survive for a removed target", n)
	}
}

// TestMemoryBoundedByTargets: the number of series does not grow with the
// number of probes.
func TestMemoryBoundedByTargets(t *testing.T) {
	s := New(testOpts)
	for i := range 2000 {
		d := time.Duration(i%500+1) * 37 * time.Microsecond
		s.Observe(Cold, okSample("web", d, d, d, d))
		if i%10 == 0 {
			s.Observe(Cold, failedSample("web"))
		}
	}
	n := testutil.CollectAndCount(s)
	s.Observe(Cold, okSample("web", time.Second, time.Second, time.Second, time.Second))
	if m := testutil.CollectAndCount(s); m != n {
		t.Errorf("series grew from %d to %d with one more probe", n, m)
	}
}

func TestOneShot(t *testing.T) {
	chain := []string{"dns", "tcp", "tls", "http"}
	reg := OneShot(failedSample("missing"), chain, 4500*time.Millisecond)
	want := `
# HELP probe_success 1 if the last probe succeeded, else 0 (blackbox_exporter's meaning).
# TYPE probe_success gauge
probe_success{mode="cold"} 0
# HELP probe_timeout_seconds The probe's budget.
# TYPE probe_timeout_seconds gauge
probe_timeout_seconds{mode="cold"} 4.5
# HELP probe_failed_phase_info 1 for the phase at which the last probe failed, labelled with the error kind; absent after a success.
# TYPE probe_failed_phase_info gauge
probe_failed_phase_info{kind="nxdomain",mode="cold",phase="dns"} 1
# HELP probe_http_status_code HTTP status code of the last probe's response; 0 when it got none (blackbox_exporter's meaning).
# TYPE probe_http_status_code gauge
probe_http_status_code{mode="cold"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "probe_success", "probe_timeout_seconds", "probe_failed_phase_info",
		"probe_http_status_code", "probe_ssl_earliest_cert_expiry", "probe_phase_last_duration_seconds"); err != nil {
		t.Error(err)
	}
	reg = OneShot(okSample("web", time.Millisecond, 2*time.Millisecond, 3*time.Millisecond, 4*time.Millisecond), chain, time.Second)
	want = `
# HELP probe_phase_last_duration_seconds Duration of each phase that ran and succeeded in the last probe, as its plugin timed it; absent for a phase that failed, was skipped, reused or not reached.
# TYPE probe_phase_last_duration_seconds gauge
probe_phase_last_duration_seconds{mode="cold",phase="dns"} 0.001
probe_phase_last_duration_seconds{mode="cold",phase="http"} 0.004
probe_phase_last_duration_seconds{mode="cold",phase="tcp"} 0.002
probe_phase_last_duration_seconds{mode="cold",phase="tls"} 0.003
# HELP probe_http_status_code HTTP status code of the last probe's response; 0 when it got none (blackbox_exporter's meaning).
# TYPE probe_http_status_code gauge
probe_http_status_code{mode="cold"} 204
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "probe_phase_last_duration_seconds", "probe_http_status_code", "probe_failed_phase_info"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(OneShot(failedSample("raw"), []string{"dns", "tcp"}, time.Second), "probe_http_status_code"); n != 0 {
		t.Errorf("a chain without http has %d probe_http_status_code series, want none (blackbox has none for a tcp probe)", n)
	}
}

// TestOneShotUsesTheNamesOfMetrics: every /probe series but the budget is
// a /metrics series of the same name, type and help.
func TestOneShotUsesTheNamesOfMetrics(t *testing.T) {
	chain := []string{"dns", "tcp", "tls", "http"}
	s := New(testOpts)
	s.Observe(Cold, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	s.Observe(Cold, failedSample("gone"))
	metrics := families(t, s)
	for _, smp := range []sample.Sample{okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond), failedSample("gone")} {
		for name, mf := range families(t, OneShot(smp, chain, time.Second)) {
			if name == "probe_timeout_seconds" {
				continue
			}
			m, ok := metrics[name]
			switch {
			case !ok:
				t.Errorf("/probe has %s, /metrics has not", name)
			case m.GetType() != mf.GetType() || m.GetHelp() != mf.GetHelp():
				t.Errorf("%s: /probe has %v %q, /metrics %v %q", name, mf.GetType(), mf.GetHelp(), m.GetType(), m.GetHelp())
			}
		}
	}
}

func families(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	g, ok := c.(prometheus.Gatherer)
	if !ok {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(c)
		g = reg
	}
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func TestInventory(t *testing.T) {
	inv := NewInventory("1.2.3", 1)
	if n := testutil.CollectAndCount(inv, "probe_config_last_reload_successful", "probe_config_last_reload_success_timestamp_seconds"); n != 0 {
		t.Errorf("%d reload series before the first load, want 0 (a 0 would read as a failed reload)", n)
	}
	restarts := 0
	inv.Loaded([]Target{{Name: "web", Host: "www.probe.test", Port: 80, Protocol: "http", Phases: []string{"dns", "tcp", "http"}, Modes: []string{Cold}}},
		func() []Plugin {
			return []Plugin{{Mode: Cold, Phase: "dns", Name: "dns", Version: "0.1.0", Source: "built-in dns", Restarts: restarts}}
		})
	restarts = 2
	inv.Failed()
	want := `
# HELP probe_config_last_reload_successful 1 if the last config load or reload succeeded, else 0 (probing goes on with the previous config).
# TYPE probe_config_last_reload_successful gauge
probe_config_last_reload_successful 0
# HELP probe_plugin_restarts_total Times the plugin process was replaced after it crashed or hung (resets when a reload starts new plugins).
# TYPE probe_plugin_restarts_total counter
probe_plugin_restarts_total{mode="cold",phase="dns"} 2
# HELP probe_target_info Always 1 per configured target and mode; labels say what it is (from the targets file).
# TYPE probe_target_info gauge
probe_target_info{host="www.probe.test",mode="cold",phases="dns,tcp,http",port="80",protocol="http",target="web"} 1
`
	if err := testutil.CollectAndCompare(inv, strings.NewReader(want),
		"probe_config_last_reload_successful", "probe_plugin_restarts_total", "probe_target_info"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(inv, "probe_config_last_reload_success_timestamp_seconds"); n != 1 {
		t.Errorf("%d reload timestamp series, want 1 after a successful load", n)
	}
	if problems, err := testutil.CollectAndLint(inv); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestMetricNamesLint(t *testing.T) {
	s := New(testOpts)
	s.Observe(Cold, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	s.Observe(Cold, failedSample("web"))
	problems, err := testutil.CollectAndLint(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

var webChain = []Scheduled{{Key: Key{"web", Cold}, Phases: []string{"dns", "tcp", "tls", "http"}}}

// TestLastProbeGaugesDescribeOnlyTheLastProbe: after a good probe, a probe
// that fails before tls and http leaves no certificate expiry and a status
// code of 0, as blackbox_exporter, which builds its gauges per probe; the
// phase gauges of the phases it did not complete and the failure go away
// when they no longer describe the last probe.
func TestLastProbeGaugesDescribeOnlyTheLastProbe(t *testing.T) {
	s := New(testOpts)
	s.Schedule(webChain)
	s.Observe(Cold, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	s.Observe(Cold, failedSample("web"))
	want := `
# HELP probe_http_status_code HTTP status code of the last probe's response; 0 when it got none (blackbox_exporter's meaning).
# TYPE probe_http_status_code gauge
probe_http_status_code{mode="cold",target="web"} 0
# HELP probe_failed_phase_info 1 for the phase at which the last probe failed, labelled with the error kind; absent after a success.
# TYPE probe_failed_phase_info gauge
probe_failed_phase_info{kind="nxdomain",mode="cold",phase="dns",target="web"} 1
`
	if err := testutil.CollectAndCompare(s, strings.NewReader(want), "probe_http_status_code", "probe_failed_phase_info"); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"probe_ssl_earliest_cert_expiry", "probe_phase_last_duration_seconds"} {
		if n := testutil.CollectAndCount(s, name); n != 0 {
			t.Errorf("%d %s series after a probe that failed at dns, want 0", n, name)
		}
	}
	s.Observe(Cold, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	if n := testutil.CollectAndCount(s, "probe_failed_phase_info"); n != 0 {
		t.Errorf("%d probe_failed_phase_info series after a success, want 0", n)
	}
	if n := testutil.CollectAndCount(s, "probe_phase_last_duration_seconds"); n != 4 {
		t.Errorf("%d probe_phase_last_duration_seconds series after a full probe, want 4", n)
	}
}

// TestReusedConnectionKeepsItsCertificate: a warm probe on a kept
// connection did not repeat the handshake, whose certificate still
// describes the connection; its skipped phases have no duration.
func TestReusedConnectionKeepsItsCertificate(t *testing.T) {
	s := New(testOpts)
	s.Schedule([]Scheduled{{Key: Key{"web", Warm}, Phases: []string{"dns", "tcp", "tls", "http"}}})
	s.Observe(Warm, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	s.Observe(Warm, sample.Sample{Target: "web", Reused: true, Phases: []sample.Phase{
		{Name: "dns", Status: sample.Reused}, {Name: "tcp", Status: sample.Reused}, {Name: "tls", Status: sample.Reused},
		{Name: "http", Status: sample.OK, Duration: time.Millisecond, Attributes: sdk.Attributes{"http.status": int64(200)}},
	}})
	if n := testutil.CollectAndCount(s, "probe_ssl_earliest_cert_expiry"); n != 1 {
		t.Errorf("%d certificate series after a probe on a kept TLS connection, want 1", n)
	}
	if n := testutil.CollectAndCount(s, "probe_phase_last_duration_seconds"); n != 1 {
		t.Errorf("%d phase gauges after a probe that ran http alone, want 1", n)
	}
}

// TestScheduleCreatesCountersAtZero: counters exist before the first
// probe, so that increase() sees the first failure; a reload that removes
// the target drops them.
func TestScheduleCreatesCountersAtZero(t *testing.T) {
	s := New(testOpts)
	s.Schedule([]Scheduled{{Key: Key{"raw", Cold}, Phases: []string{"dns", "tcp"}}})
	want := `
# HELP probe_probes_total Probes by result (success or failure).
# TYPE probe_probes_total counter
probe_probes_total{mode="cold",result="failure",target="raw"} 0
probe_probes_total{mode="cold",result="success",target="raw"} 0
# HELP probe_failures_total Failed probes by the phase that failed and the error kind.
# TYPE probe_failures_total counter
probe_failures_total{kind="nxdomain",mode="cold",phase="dns",target="raw"} 0
probe_failures_total{kind="servfail",mode="cold",phase="dns",target="raw"} 0
probe_failures_total{kind="timeout",mode="cold",phase="dns",target="raw"} 0
probe_failures_total{kind="refused",mode="cold",phase="tcp",target="raw"} 0
probe_failures_total{kind="timeout",mode="cold",phase="tcp",target="raw"} 0
`
	if err := testutil.CollectAndCompare(s, strings.NewReader(want), "probe_probes_total", "probe_failures_total"); err != nil {
		t.Error(err)
	}
	s.Schedule(webChain)
	s.Retain([]Key{{"web", Cold}})
	if n := testutil.CollectAndCount(s, "probe_probes_total"); n != 2 {
		t.Errorf("%d probes counters after a Retain of web alone, want web's 2", n)
	}
	if n := testutil.CollectAndCount(s, "probe_failures_total"); n != 3+2+2+3 {
		t.Errorf("%d failure counters for web's dns, tcp, tls, http, want 10", n)
	}
}

// TestScheduleWithAnotherChainStartsAfresh: a reload that changes a
// target's chain drops what was measured on the old one.
func TestScheduleWithAnotherChainStartsAfresh(t *testing.T) {
	s := New(testOpts)
	s.Schedule(webChain)
	s.Observe(Cold, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	s.Schedule([]Scheduled{{Key: Key{"web", Cold}, Phases: []string{"dns", "tcp", "http"}}})
	if n := testutil.CollectAndCount(s, "probe_phase_duration_seconds"); n != 0 {
		t.Errorf("%d phase histograms of the old chain survive", n)
	}
	if n := testutil.CollectAndCount(s, "probe_failures_total"); n != 3+2+3 {
		t.Errorf("%d failure counters for the new chain dns, tcp, http, want 8", n)
	}
}

// spread returns n durations from 1 µs, each about 2^(1/8) (the growth of
// the native buckets of factor 1.1) longer than the one before, so each
// falls into a native bucket of its own until the cap widens them.
func spread(n int) []time.Duration {
	out := make([]time.Duration, n)
	v := 1000.0 // ns
	for i := range out {
		out[i] = time.Duration(v)
		v *= 1.0905 // 2^(1/8)
	}
	return out
}

// TestNativeBucketsCapped: latencies over twelve decades would need ~320
// native buckets; the histogram keeps at most nativeMaxBuckets (client_golang
// widens them), so a target's memory is bounded whatever its latencies do,
// and no observation is lost on the way.
func TestNativeBucketsCapped(t *testing.T) {
	s := New(testOpts)
	ds := spread(2 * nativeMaxBuckets)
	for _, d := range ds {
		s.Observe(Cold, sample.Sample{Target: "web", Wall: d, Phases: []sample.Phase{{Name: "tcp", Status: sample.OK, Duration: d}}})
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, mf := range mfs {
		if mf.GetType() != dto.MetricType_HISTOGRAM {
			continue
		}
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			buckets := 0
			for _, sp := range h.GetPositiveSpan() {
				buckets += int(sp.GetLength())
			}
			if buckets == 0 || buckets > nativeMaxBuckets {
				t.Errorf("%s: %d native buckets, want 1..%d", mf.GetName(), buckets, nativeMaxBuckets)
			}
			if h.GetSampleCount() != uint64(len(ds)) {
				t.Errorf("%s: %d observations counted, want %d", mf.GetName(), h.GetSampleCount(), len(ds))
			}
			checked++
		}
	}
	if checked != 2 {
		t.Errorf("checked %d histograms, want 2 (the tcp phase and the whole probe)", checked)
	}
}

// BenchmarkFullHistogramMemory reports the worst case of the memory bound
// in the README, in bytes per histogram series: the live heap of a
// Surfacer whose targets have one phase (two histogram series each: the
// phase and the whole probe) with every native bucket in use, in
// client_golang's hot and cold counts alike (a scrape between two fills),
// divided by the number of histogram series. The targets' counters, gauges
// and classic buckets are in the figure too, so it bounds a series from
// above. Run with -benchtime=1x; BENCHMARKS.md has the figure.
func BenchmarkFullHistogramMemory(b *testing.B) {
	const series = 500
	ds := spread(nativeMaxBuckets)
	live := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for range b.N {
		before := live()
		s := New(Options{Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15), NativeBucketFactor: 1.1})
		reg := prometheus.NewRegistry()
		reg.MustRegister(s)
		for range 2 {
			for i := range series {
				target := fmt.Sprintf("t%03d", i)
				for _, d := range ds {
					s.Observe(Cold, sample.Sample{Target: target, Wall: d, Phases: []sample.Phase{{Name: "tcp", Status: sample.OK, Duration: d}}})
				}
			}
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
		after := live()
		runtime.KeepAlive(s)
		// Each target has two histogram series: its tcp phase and the
		// whole probe.
		b.ReportMetric(float64(after-before)/(2*series), "B/series")
	}
}

// TestCertExpiryOnlyFromASucceededHandshake: a TLS phase that failed
// (here on an expired certificate) reports the chain's expiry, but
// probe_ssl_earliest_cert_expiry is set only by a handshake that
// succeeded, as in blackbox_exporter; the failure clears the value an
// earlier probe set.
func TestCertExpiryOnlyFromASucceededHandshake(t *testing.T) {
	s := New(testOpts)
	s.Observe(Cold, okSample("web", time.Millisecond, time.Millisecond, time.Millisecond, time.Millisecond))
	if n := testutil.CollectAndCount(s, "probe_ssl_earliest_cert_expiry"); n != 1 {
		t.Fatalf("%d expiry series after a good handshake, want 1", n)
	}
	s.Observe(Cold, sample.Sample{Target: "web", Wall: 3 * time.Millisecond, Phases: []sample.Phase{
		{Name: "dns", Status: sample.OK, Duration: time.Millisecond},
		{Name: "tcp", Status: sample.OK, Duration: time.Millisecond},
		{Name: "tls", Status: sample.Failed, Duration: time.Millisecond,
			Error:      &sample.Error{Kind: sdk.KindCertificate, Message: "x509: certificate has expired"},
			Attributes: sdk.Attributes{"tls.peer.not_after": "2020-01-02T03:04:05Z", "tls.chain.not_after": "2020-01-01T00:00:00Z"}},
	}})
	if n := testutil.CollectAndCount(s, "probe_ssl_earliest_cert_expiry"); n != 0 {
		t.Errorf("%d expiry series after a failed handshake, want 0 (blackbox_exporter sets it only from a verified connection)", n)
	}
}
