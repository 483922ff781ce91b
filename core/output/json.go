package output

import (
	"encoding/json"
	"io"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// JSONSchema identifies the document layout; it changes only incompatibly.
const JSONSchema = "probe.run/v1"

type jsonReport struct {
	Schema      string       `json:"schema"`
	Version     string       `json:"probe_version,omitempty"`
	Started     string       `json:"started_at,omitempty"` // RFC 3339, UTC
	Interrupted bool         `json:"interrupted,omitempty"`
	Targets     []jsonTarget `json:"targets"`
	Plugins     []Plugin     `json:"plugins"`
}

type jsonTarget struct {
	Name       string         `json:"name"`
	Host       string         `json:"host"`
	HostASCII  string         `json:"host_ascii,omitempty"`
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

type jsonWarning struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
}

type jsonSummary struct {
	Count      int         `json:"count"`
	OK         int         `json:"ok"`
	Failed     int         `json:"failed"`
	Skipped    int         `json:"skipped"`
	Reused     int         `json:"reused"`
	MinMS      *float64    `json:"min_ms"`
	MeanMS     *float64    `json:"mean_ms"`
	P50MS      *float64    `json:"p50_ms"`
	P90MS      *float64    `json:"p90_ms"`
	P99MS      *float64    `json:"p99_ms"`
	MaxMS      *float64    `json:"max_ms"`
	OverheadMS *float64    `json:"overhead_mean_ms"`
	Errors     []jsonError `json:"errors"`
}

type jsonError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// WriteJSON writes the report as one indented JSON document. Durations are
// milliseconds as floats; figures over no successful run are null.
func WriteJSON(w io.Writer, r Report) error {
	doc := jsonReport{Schema: JSONSchema, Interrupted: r.Interrupted, Targets: []jsonTarget{}, Plugins: r.Plugins}
	if doc.Plugins == nil {
		doc.Plugins = []Plugin{}
	}
	doc.Version = r.Version
	if !r.Started.IsZero() {
		doc.Started = r.Started.UTC().Format(time.RFC3339Nano)
	}
	for i, st := range r.Stats {
		doc.Targets = append(doc.Targets, runTargetDoc(r.Targets[i], st))
	}
	return EncodeJSON(w, doc)
}

// runTargetDoc is a target's entry of a probe.run/v1 document.
func runTargetDoc(t plan.Target, st stats.Target) jsonTarget {
	jt := jsonTarget{
		Name: st.Name, Host: t.WrittenHost(), HostASCII: hostASCII(t), Port: t.Port, Protocol: t.Protocol,
		Probes: st.Probes, OK: st.OK, Phases: []jsonPhase{},
		Total: summary(st.Total), Attributes: attributes(st.LastAttr),
	}
	for _, p := range st.Phases {
		jp := jsonPhase{Phase: p.Name, Plugin: p.Plugin, jsonSummary: summary(p.Summary), Warnings: []jsonWarning{}}
		for _, w := range p.Summary.Warnings {
			jp.Warnings = append(jp.Warnings, jsonWarning{Message: w.Message, Count: w.Count})
		}
		jt.Phases = append(jt.Phases, jp)
	}
	return jt
}

// EncodeJSON writes v as one indented JSON document: the form of every
// document probe prints.
func EncodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func summary(s stats.Summary) jsonSummary {
	out := jsonSummary{Count: s.Count, OK: s.OK, Failed: s.Failed, Skipped: s.Skipped, Reused: s.Reused, Errors: []jsonError{}}
	if s.OK > 0 {
		out.MinMS, out.MeanMS, out.P50MS = ms(s.Min), ms(s.Mean), ms(s.P50)
		out.P90MS, out.P99MS, out.MaxMS = ms(s.P90), ms(s.P99), ms(s.Max)
		out.OverheadMS = ms(s.MeanOverhead)
	}
	for _, e := range s.Errors {
		out.Errors = append(out.Errors, jsonError{Kind: string(e.Kind), Message: plainMessage(e.Kind, e.Message), Count: e.Count})
	}
	return out
}

// hostASCII is the host's A-label form when it differs from the host as
// written (an internationalised name), for a document's "host_ascii".
func hostASCII(t plan.Target) string {
	if t.WrittenHost() == t.Host {
		return ""
	}
	return t.Host
}

func ms(d time.Duration) *float64 {
	v := float64(d) / float64(time.Millisecond)
	return &v
}

// attributes converts durations to milliseconds so the document has one unit.
func attributes(a sdk.Attributes) map[string]any {
	if len(a) == 0 {
		return nil
	}
	out := make(map[string]any, len(a))
	for k, v := range a {
		if d, ok := v.(time.Duration); ok {
			out[k+"_ms"] = *ms(d)
			continue
		}
		out[k] = v
	}
	return out
}
