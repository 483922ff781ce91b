package output

// This file renders the report of `probe run`: a table of per-phase
// statistics and the probe.run/v1 JSON document. Its OpenMetrics form is in
// openmetrics.go.

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// JSONSchema identifies the run document's layout (docs/schema/probe.run.v1.json).
const JSONSchema = "probe.run/v1"

// Report is everything a renderer needs about a finished run.
type Report struct {
	Targets []sdk.Target   // for host, port, protocol
	Stats   []stats.Target // in the same order
	// Interrupted is set when the run was cut short (SIGINT/SIGTERM).
	Interrupted bool
	// Plugins are the processes that served the phases.
	Plugins []Plugin
	// Version is probe's version; Started is when the run began.
	Version string
	Started time.Time
}

// Plugin is one plugin process of a run.
type Plugin struct {
	Phase    string `json:"phase"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Source   string `json:"source"` // "built-in" or the executable's path
	PID      int    `json:"pid"`
	Restarts int    `json:"restarts"`
}

// NewReport pairs targets with their statistics.
func NewReport(targets []sdk.Target, st []stats.Target) Report {
	return Report{Targets: targets, Stats: st}
}

// runFormats are the formats of a run report.
var runFormats = formatTable[Report]{
	{FormatTable, writeRunTable},
	{FormatJSON, writeRunJSON},
	{FormatNDJSON, streamed[Report]},
	{FormatOpenMetrics, writeRunOpenMetrics},
}

// Formats lists table, json, ndjson and openmetrics.
func (Report) Formats() []Format { return runFormats.formats() }

// Render writes the report in format f.
func (r Report) Render(w io.Writer, f Format, o Options) error { return runFormats.render(w, f, r, o) }

// writeRunTable writes one block of rows per target, then the failures,
// one line per cause. Figures are milliseconds over successful runs.
func writeRunTable(w io.Writer, r Report, _ Options) error {
	tw := &tableWriter{w: w}
	tw.nameWidth, tw.phaseWidth = reportWidths(r)
	tw.header()
	for _, st := range r.Stats {
		tw.target(st)
	}
	tw.printf("\ntimes in ms over successful probes; percentiles are nearest-rank\n")
	if o, n := overhead(r); n > 0 {
		tw.printf("framework overhead: %s ms mean per phase call (host time minus plugin time)\n", msText(o))
	}
	tw.failures(r.Stats)
	tw.warnings(r.Stats)
	tw.closing(r.Stats, r.Interrupted)
	return tw.err
}

// closing prints what a run or warmup table ends with: the warning about
// unverified TLS, and a line when the run was interrupted.
func (tw *tableWriter) closing(st []stats.Target, interrupted bool) {
	if w := insecureWarning(stats.InsecureNames(st)); w != "" {
		tw.printf("\n%s", w)
	}
	if interrupted {
		tw.printf("\nrun interrupted: figures cover the probes that finished\n")
	}
}

func reportWidths(r Report) (name, phase int) {
	var targets, phases []string
	for _, s := range r.Stats {
		targets = append(targets, s.Name)
		for _, p := range s.Phases {
			phases = append(phases, p.Name)
		}
	}
	return columnWidths(targets, phases)
}

// overhead is the mean framework overhead over every successful phase call.
func overhead(r Report) (time.Duration, int) {
	var sum time.Duration
	n := 0
	for _, s := range r.Stats {
		for _, p := range s.Phases {
			sum += p.Summary.MeanOverhead * time.Duration(p.Summary.OK)
			n += p.Summary.OK
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / time.Duration(n), n
}

func (t *tableWriter) header() {
	t.printf("%-*s  %-*s %7s %7s %7s %7s %7s %7s %7s\n", t.nameWidth, "TARGET", t.phaseWidth, "PHASE",
		"OK/N", "MIN", "MEAN", "P50", "P90", "P99", "MAX")
}

func (t *tableWriter) target(st stats.Target) {
	name := truncate(st.Name, t.nameWidth)
	for _, p := range st.Phases {
		t.row(name, p.Name, p.Summary)
		name = ""
	}
	if len(st.Phases) == 0 {
		t.printf("%-*s  (no probes ran)\n", t.nameWidth, name)
		return
	}
	t.row("", "total", st.Total)
}

func (t *tableWriter) row(name, phase string, s stats.Summary) {
	okn := fmt.Sprintf("%d/%d", s.OK, s.Ran())
	if s.Ran() == 0 && s.Count > 0 {
		why := "skipped"
		if s.Reused > 0 {
			why = "reused"
		}
		t.printf("%-*s  %-*s %7s  %s\n", t.nameWidth, name, t.phaseWidth, truncate(phase, t.phaseWidth), "-", why)
		return
	}
	if s.OK == 0 {
		t.printf("%-*s  %-*s %7s %7s\n", t.nameWidth, name, t.phaseWidth, truncate(phase, t.phaseWidth), okn, "-")
		return
	}
	t.printf("%-*s  %-*s %7s %7s %7s %7s %7s %7s %7s\n", t.nameWidth, name, t.phaseWidth, truncate(phase, t.phaseWidth), okn,
		msText(s.Min), msText(s.Mean), msText(s.P50), msText(s.P90), msText(s.P99), msText(s.Max))
}

// failures lists each cause of failure once, with its first message as the
// example and how often it happened.
func (t *tableWriter) failures(targets []stats.Target) {
	first := true
	for _, st := range targets {
		for _, p := range st.Phases {
			for _, e := range p.Summary.Errors {
				if first {
					t.printf("\nfailures:\n")
					first = false
				}
				t.printf("  %s %s (%d×)\n", st.Name, phaseError(p.Name, e.Kind, e.Message), e.Count)
			}
			if n := p.Summary.OtherErrors; n > 0 {
				t.printf("  %s %s: %d more failures of other causes\n", st.Name, p.Name, n)
			}
		}
	}
}

// warnings lists what failed inside phases that succeeded, such as an AAAA
// query that timed out while A answered, once per cause.
func (t *tableWriter) warnings(targets []stats.Target) {
	first := true
	for _, st := range targets {
		for _, p := range st.Phases {
			for _, w := range p.Summary.Warnings {
				if first {
					t.printf("\nwarnings (in phases that succeeded):\n")
					first = false
				}
				t.printf("  %s %s: %s (%d×)\n", st.Name, p.Name, w.Message, w.Count)
			}
		}
	}
}

type jsonReport struct {
	Schema      string `json:"schema"`
	Version     string `json:"probe_version,omitempty"`
	Started     string `json:"started_at,omitempty"` // RFC 3339, UTC
	Interrupted bool   `json:"interrupted,omitempty"`
	// Targets ([]jsonTarget) is written one element at a time; see
	// encodeJSONArray.
	Targets json.RawMessage `json:"targets"`
	Plugins []Plugin        `json:"plugins"`
}

type jsonTarget struct {
	Name       string         `json:"name"`
	Host       string         `json:"host"`
	HostU      string         `json:"host_unicode,omitempty"`
	Port       int            `json:"port"`
	Protocol   string         `json:"protocol"`
	Probes     int            `json:"probes"`
	OK         int            `json:"ok"`
	Phases     []jsonPhase    `json:"phases"`
	Total      jsonSummary    `json:"total"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

type jsonPhase struct {
	Phase  string `json:"phase"`
	Plugin string `json:"plugin,omitempty"`
	jsonSummary
	// Warnings are failures inside successful calls of the phase.
	Warnings []jsonWarning `json:"warnings"`
}

// jsonWarning is one cause of warnings: an example message, the cause it
// stands for (addresses replaced) and how often.
type jsonWarning struct {
	Message string `json:"message"`
	Cause   string `json:"cause"`
	Count   int    `json:"count"`
}

// writeRunJSON writes the report as one indented JSON document
// (probe.run/v1). Durations are milliseconds as floats; figures over no
// successful run are null. The targets are encoded one at a time: the
// bytes are those EncodeJSON writes for the whole document, without ever
// holding the whole document (or its encoding) in memory, which at 10,000
// targets was the peak of a run's heap.
func writeRunJSON(w io.Writer, r Report, _ Options) error {
	head := jsonReport{Schema: JSONSchema, Interrupted: r.Interrupted, Plugins: r.Plugins}
	if head.Plugins == nil {
		head.Plugins = []Plugin{}
	}
	head.Version = r.Version
	if !r.Started.IsZero() {
		head.Started = r.Started.UTC().Format(time.RFC3339Nano)
	}
	return encodeJSONArray(w, &head, &head.Targets, len(r.Stats), func(i int) any {
		return runTargetDoc(r.Targets[i], r.Stats[i])
	})
}

// runTargetDoc is a target's entry of a probe.run/v1 document.
func runTargetDoc(t sdk.Target, st stats.Target) jsonTarget {
	jt := jsonTarget{
		Name: st.Name, Host: t.Host, HostU: sdk.UnicodeHost(t.Host), Port: t.Port, Protocol: t.Protocol,
		Probes: st.Probes, OK: st.OK, Phases: []jsonPhase{},
		Total: summary(st.Total), Attributes: attributes(st.LastAttr),
	}
	for _, p := range st.Phases {
		jp := jsonPhase{Phase: p.Name, Plugin: p.Plugin, jsonSummary: summary(p.Summary), Warnings: []jsonWarning{}}
		for _, w := range p.Summary.Warnings {
			jp.Warnings = append(jp.Warnings, jsonWarning{Message: w.Message, Cause: w.Cause, Count: w.Count})
		}
		jt.Phases = append(jt.Phases, jp)
	}
	return jt
}
