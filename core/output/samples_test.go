package output

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/internal/schematest"
)

// Each sample is one line, valid against probe.sample/v1, with the
// target's address, a 1-based round and durations in milliseconds.
func TestSampleWriterWritesOneLinePerProbe(t *testing.T) {
	var buf bytes.Buffer
	sw := NewSampleWriter(&buf, progressTargets())
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("x", 3600))
	sw.Write(sample.Sample{Target: "web", Round: 0, Start: start, Wall: 14 * time.Millisecond, Phases: []sample.Phase{dnsOK, tcpOK, httpOK}})
	sw.Write(sample.Sample{Target: "missing", Round: 1, Start: start, Phases: []sample.Phase{dnsFailed}})
	sw.Write(sample.Sample{Target: "raw", Round: 0, Reused: true, Note: "connection reused", Phases: []sample.Phase{dnsSkipped, tcpOK}})
	if sw.Err() != nil {
		t.Fatal(sw.Err())
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Fatalf("%d lines, want 3:\n%s", n, buf.String())
	}
	lines := schematest.CheckLines(t, buf.Bytes())
	web, missing, raw := lines[0], lines[1], lines[2]
	if web["target"] != "web" || web["host"] != "www.test" || web["round"] != 1.0 || web["ok"] != true ||
		web["total_ms"] != 13.262 || web["wall_ms"] != 14.0 || web["started_at"] != "2025-03-01T11:00:00Z" || web["failed_phase"] != nil {
		t.Errorf("web line = %v", web)
	}
	if missing["ok"] != false || missing["failed_phase"] != "dns" || missing["round"] != 2.0 {
		t.Errorf("missing line = %v", missing)
	}
	if e := missing["phases"].([]any)[0].(map[string]any)["error"].(map[string]any); e["kind"] != "nxdomain" || e["message"] != "missing.test does not exist" {
		t.Errorf("missing error = %v", e)
	}
	if raw["reused"] != true || raw["note"] != "connection reused" || raw["started_at"] != nil {
		t.Errorf("raw line = %v", raw)
	}

	broken := NewSampleWriter(failingWriter{}, progressTargets())
	broken.Write(sample.Sample{Target: "web"})
	if broken.Err() == nil {
		t.Errorf("write error lost")
	}
}

// Every report that offers ndjson prints nothing at the end: the lines
// were written as the probes finished.
func TestNDJSONReportsAddNothingAtTheEnd(t *testing.T) {
	for _, r := range []Renderer{openMetricsReport(), statusFixture(), warmReport(), preconnectReport(nil, false),
		ProbeReport{Target: probeTarget("x", 1, "tcp"), Sample: wfLiteralSample(), Probes: 1}} {
		if out := rendered(t, r, FormatNDJSON, Options{}).String(); out != "" {
			t.Errorf("%T printed %q for ndjson", r, out)
		}
	}
}

// Every report renders each format it lists and refuses the others, and
// every JSON document has its published schema.
func TestReportsRenderTheirFormats(t *testing.T) {
	all := []Format{FormatTable, FormatJSON, FormatNDJSON, FormatOpenMetrics}
	for _, r := range []Renderer{openMetricsReport(), statusFixture(), warmReport(), preconnectReport(nil, false),
		ProbeReport{Target: probeTarget("x", 1, "tcp"), Sample: wfLiteralSample(), Probes: 1}, PluginsReport{}} {
		for _, f := range all {
			err := r.Render(&bytes.Buffer{}, f, Options{})
			if listed := containsFormat(r.Formats(), f); listed != (err == nil) {
				t.Errorf("%T: %s listed=%v, render error %v", r, f, listed, err)
			}
		}
	}
	for _, name := range []string{JSONSchema, StatusSchema, WarmSchema, PreconnectSchema, ProbeSchema, PluginsSchema, SampleSchema} {
		schematest.Schema(t, name)
	}
}

func containsFormat(fs []Format, f Format) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}
