package output

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// openMetricsReport has a target whose dns phase was skipped, one whose
// http phase failed twice with a timeout and once with a reset.
func openMetricsReport() Report {
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	ok := func(target string, round int, d ...time.Duration) sample.Sample {
		s := sample.Sample{Target: target, Round: round, Phases: []sample.Phase{{Name: "dns", Status: sample.Skipped}}}
		for i, name := range []string{"tcp", "http"} {
			s.Phases = append(s.Phases, sample.Phase{Name: name, Status: sample.OK, Duration: d[i]})
		}
		return s
	}
	failed := func(round int, kind sdk.ErrorKind, msg string) sample.Sample {
		return sample.Sample{Target: "api", Round: round, Phases: []sample.Phase{
			{Name: "dns", Status: sample.OK, Duration: ms(0.7)}, {Name: "tcp", Status: sample.OK, Duration: ms(0.3)},
			{Name: "http", Status: sample.Failed, Error: &sample.Error{Kind: kind, Message: msg}}}}
	}
	samples := []sample.Sample{
		ok("web", 0, ms(0.2), ms(3)), ok("web", 1, ms(0.4), ms(30)), ok("web", 2, ms(2), ms(300)),
		failed(0, sdk.KindTimeout, "read tcp 127.0.0.1:5001->127.0.0.1:80: i/o timeout"),
		failed(1, sdk.KindTimeout, "read tcp 127.0.0.1:5002->127.0.0.1:80: i/o timeout"),
		failed(2, sdk.KindReset, "connection reset"),
	}
	targets := []sdk.Target{{Name: "web", Host: "127.0.0.1", Port: 80, Protocol: "http"}, {Name: "api", Host: "api.test", Port: 80, Protocol: "http"}}
	r := NewReport(targets, stats.Aggregate([]string{"web", "api"}, samples))
	r.Started = time.Unix(1700000000, 0)
	return r
}

// parseOpenMetrics reads the text with the OpenMetrics 1.0 parser, and again
// with the Prometheus text parser node_exporter's textfile collector uses.
func parseOpenMetrics(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(text), expfmt.NewFormat(expfmt.TypeOpenMetrics))
	out := map[string]*dto.MetricFamily{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("not OpenMetrics: %v\n%s", err, text)
			}
			break
		}
		out[mf.GetName()] = &mf
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(bytes.NewReader(text)); err != nil {
		t.Errorf("the textfile collector's parser rejects it: %v\n%s", err, text)
	}
	return out
}

func TestOpenMetricsParsesAndHoldsTheRun(t *testing.T) {
	text := rendered(t, openMetricsReport(), FormatOpenMetrics, Options{}).Bytes()
	if !bytes.HasSuffix(text, []byte("# EOF\n")) {
		t.Errorf("no # EOF at the end:\n%s", text)
	}
	families := parseOpenMetrics(t, text)
	phase := families["probe_phase_duration_seconds"]
	if phase == nil || phase.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("probe_phase_duration_seconds = %v", phase)
	}
	var webHTTP *dto.Histogram
	for _, m := range phase.GetMetric() {
		labels := labelMap(m)
		if labels["phase"] == "dns" && labels["target"] == "web" {
			t.Errorf("web's dns never ran, yet has a histogram")
		}
		if labels["phase"] == "http" && labels["target"] == "web" {
			webHTTP = m.GetHistogram()
		}
	}
	if webHTTP == nil || webHTTP.GetSampleCount() != 3 || webHTTP.GetSampleSum() < 0.333 || webHTTP.GetSampleSum() > 0.3331 {
		t.Fatalf("web http histogram = %v, want 3 durations summing to 0.333 s", webHTTP)
	}
	// 3 ms, 30 ms, 300 ms: cumulative counts at the bucket bounds.
	for _, b := range webHTTP.GetBucket() {
		want := map[float64]uint64{0.0025: 0, 0.005: 1, 0.025: 1, 0.05: 2, 0.25: 2, 0.5: 3, 10: 3}
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("bucket le=%v holds %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}
	checkGauge(t, families, "probe_success", map[string]string{"target": "web"}, 1)
	checkGauge(t, families, "probe_success", map[string]string{"target": "api"}, 0)
	checkGauge(t, families, "probe_run_probes", map[string]string{"target": "api", "result": "failed"}, 3)
	checkGauge(t, families, "probe_run_failures", map[string]string{"target": "api", "phase": "http", "kind": "timeout"}, 2)
	checkGauge(t, families, "probe_run_failures", map[string]string{"target": "api", "phase": "http", "kind": "reset"}, 1)
	checkGauge(t, families, "probe_run_start_timestamp_seconds", nil, 1700000000)
	if strings.Contains(string(text), "i/o timeout") {
		t.Errorf("an error message became a label value:\n%s", text)
	}
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func checkGauge(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string, want float64) {
	t.Helper()
	for _, m := range families[name].GetMetric() {
		got := labelMap(m)
		match := len(got) == len(labels)
		for k, v := range labels {
			match = match && got[k] == v
		}
		if match {
			if v := m.GetGauge().GetValue(); v != want {
				t.Errorf("%s%v = %v, want %v", name, labels, v, want)
			}
			return
		}
	}
	t.Errorf("no %s%v", name, labels)
}

// promtool's linter checks names, units and types as Prometheus would.
func TestOpenMetricsPassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not found: install Debian's prometheus package (apt-get install prometheus) to run this check")
	}
	text := rendered(t, openMetricsReport(), FormatOpenMetrics, Options{}).Bytes()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, text)
	}
}
