package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/internal/schematest"
	"github.com/probe-net/probe/sdk"
)

func report() Report {
	ok := stats.Summary{Count: 2, OK: 2, Min: time.Millisecond, Mean: 1500 * time.Microsecond,
		P50: time.Millisecond, P90: 2 * time.Millisecond, P99: 2 * time.Millisecond, Max: 2 * time.Millisecond}
	failed := stats.Summary{Count: 2, Failed: 2, Errors: []stats.ErrorCount{
		{Kind: sdk.KindNXDomain, Message: "nxdomain: x.test does not exist", Cause: "nxdomain: x.test does not exist", Count: 2}}}
	return Report{
		Targets: []sdk.Target{
			{Name: "web", Host: "www.test", Port: 80, Protocol: "http"},
			{Name: "gone", Host: "x.test", Port: 80, Protocol: "http"},
		},
		Stats: []stats.Target{
			{Name: "web", Probes: 2, OK: 2, Phases: []stats.Phase{{Name: "tcp", Plugin: "tcp 1", Summary: ok}}, Total: ok,
				LastAttr: sdk.Attributes{"http.ttfb": 3 * time.Millisecond, "http.status": int64(200)}},
			{Name: "gone", Probes: 2, Phases: []stats.Phase{{Name: "dns", Summary: failed}}, Total: failed},
		},
	}
}

// rendered renders r in format f, failing the test on an error; JSON is
// checked against its published schema.
func rendered(t *testing.T, r Renderer, f Format, o Options) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, f, o); err != nil {
		t.Fatalf("rendering %s: %v", f, err)
	}
	if f == FormatJSON {
		schematest.Check(t, buf.Bytes())
	}
	return &buf
}

func TestJSONDocument(t *testing.T) {
	buf := rendered(t, report(), FormatJSON, Options{})
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	if doc["schema"] != JSONSchema {
		t.Errorf("schema = %v", doc["schema"])
	}
	targets := doc["targets"].([]any)
	web := targets[0].(map[string]any)
	tcp := web["phases"].([]any)[0].(map[string]any)
	if tcp["p90_ms"] != 2.0 || tcp["mean_ms"] != 1.5 || tcp["plugin"] != "tcp 1" {
		t.Errorf("web tcp = %v", tcp)
	}
	attrs := web["attributes"].(map[string]any)
	if attrs["http.ttfb_ms"] != 3.0 || attrs["http.status"] != 200.0 {
		t.Errorf("attributes = %v (durations should be in ms)", attrs)
	}
	dns := targets[1].(map[string]any)["phases"].([]any)[0].(map[string]any)
	if dns["min_ms"] != nil || dns["failed"] != 2.0 {
		t.Errorf("failed phase = %v (figures should be null)", dns)
	}
	if e := dns["errors"].([]any)[0].(map[string]any); e["kind"] != "nxdomain" || e["count"] != 2.0 {
		t.Errorf("errors = %v", e)
	}
}

func TestTable(t *testing.T) {
	buf := rendered(t, report(), FormatTable, Options{})
	out := buf.String()
	for _, want := range []string{
		"TARGET  PHASE    OK/N     MIN    MEAN     P50     P90     P99     MAX\n",
		"web     tcp       2/2   1.000   1.500   1.000   2.000   2.000   2.000\n",
		"gone    dns       0/2       -\n",
		"  gone dns: nxdomain: x.test does not exist (2×)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 && !strings.HasPrefix(line, "  ") {
			t.Errorf("line is %d columns wide: %q", n, line)
		}
	}
}

// The run document is written target by target; its bytes are those of
// encoding the whole document at once.
func TestRunJSONStreamsTheDocumentEncodeJSONWrites(t *testing.T) {
	for _, r := range []Report{report(), {}, {Version: "1.2.3", Started: time.Unix(1, 0), Interrupted: true,
		Plugins: []Plugin{{Phase: "tcp", Name: "tcp", Version: "1", Source: "built-in", PID: 7}}, Targets: report().Targets[:1], Stats: report().Stats[:1]}} {
		var streamed bytes.Buffer
		if err := writeRunJSON(&streamed, r, Options{}); err != nil {
			t.Fatal(err)
		}
		whole := struct {
			Schema      string       `json:"schema"`
			Version     string       `json:"probe_version,omitempty"`
			Started     string       `json:"started_at,omitempty"`
			Interrupted bool         `json:"interrupted,omitempty"`
			Targets     []jsonTarget `json:"targets"`
			Plugins     []Plugin     `json:"plugins"`
		}{Schema: JSONSchema, Version: r.Version, Interrupted: r.Interrupted, Targets: []jsonTarget{}, Plugins: r.Plugins}
		if whole.Plugins == nil {
			whole.Plugins = []Plugin{}
		}
		if !r.Started.IsZero() {
			whole.Started = r.Started.UTC().Format(time.RFC3339Nano)
		}
		for i := range r.Stats {
			whole.Targets = append(whole.Targets, runTargetDoc(r.Targets[i], r.Stats[i]))
		}
		var want bytes.Buffer
		if err := EncodeJSON(&want, whole); err != nil {
			t.Fatal(err)
		}
		if streamed.String() != want.String() {
			t.Errorf("streamed:\n%s\nwhole:\n%s", streamed.String(), want.String())
		}
	}
}

// A family that failed while the other answered is said in the table, the
// JSON document and the details of one probe.
func TestWarningsAppearInEveryView(t *testing.T) {
	aaaa := "timeout: www.test AAAA: no answer within 2s (server 127.0.0.1:53)"
	r := report()
	r.Stats[0].Phases[0].Summary.Warnings = []stats.ErrorCount{{Message: aaaa, Cause: stats.Cause(aaaa), Count: 2}}

	table := rendered(t, r, FormatTable, Options{})
	if want := "\nwarnings (in phases that succeeded):\n  web tcp: " + aaaa + " (2×)\n"; !strings.Contains(table.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, table.String())
	}

	doc := rendered(t, r, FormatJSON, Options{})
	var parsed struct {
		Targets []struct {
			Phases []struct {
				Warnings []struct {
					Message string
					Count   int
				}
			}
		}
	}
	if err := json.Unmarshal(doc.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if w := parsed.Targets[0].Phases[0].Warnings; len(w) != 1 || w[0].Message != aaaa || w[0].Count != 2 {
		t.Errorf("JSON warnings = %+v", w)
	}
	if w := parsed.Targets[1].Phases[0].Warnings; w == nil || len(w) != 0 {
		t.Errorf("JSON warnings of a phase without any = %#v, want []", w)
	}

	s := wfHTTPSSample()
	s.Phases[0].Attributes["dns.errors"] = []string{aaaa}
	s.Phases[0].Attributes["dns.connect_ready"] = 51 * time.Millisecond
	var details bytes.Buffer
	if err := WriteDetails(&details, s, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"       warning       " + aaaa + "\n",
		"       connect ready 51.0 ms (RFC 8305 §3: an application with Happy Eyeballs would connect here)\n",
	} {
		if !strings.Contains(details.String(), want) {
			t.Errorf("details lack %q:\n%s", want, details.String())
		}
	}
}
