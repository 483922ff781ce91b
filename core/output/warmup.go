package output

// This file renders the report of `probe warmup`: each target's cold probe
// against its warm ones, as a table and as the probe.warmup/v1 document.

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// WarmSchema identifies the warmup document layout (docs/schema/probe.warmup.v1.json).
const WarmSchema = "probe.warmup/v1"

// WarmReport is the outcome of a warmup run: each target's cold probe
// against its warm ones.
type WarmReport struct {
	Targets     []sdk.Target
	Warmth      []stats.Warmth // same order as Targets
	Features    []string       // what warming turned on, e.g. "dns cache"
	Interrupted bool
	// Stats of every probe, cold and warm: their failures are listed, and
	// the targets whose TLS certificate went unverified.
	Stats []stats.Target
}

// warmFormats are the formats of a warmup report.
var warmFormats = formatTable[WarmReport]{
	{FormatTable, writeWarmTable},
	{FormatJSON, writeWarmJSON},
	{FormatNDJSON, streamed[WarmReport]},
}

// Formats lists table, json and ndjson.
func (WarmReport) Formats() []Format { return warmFormats.formats() }

// Render writes the report in format f.
func (r WarmReport) Render(w io.Writer, f Format, o Options) error {
	return warmFormats.render(w, f, r, o)
}

// writeWarmTable prints cold against warm per phase, what warming saved, and
// what made the warm probes warm.
func writeWarmTable(w io.Writer, r WarmReport, _ Options) error {
	t := &tableWriter{w: w}
	t.nameWidth, t.phaseWidth = warmWidths(r)
	if len(r.Features) > 0 {
		t.printf("warming with: %s\n\n", strings.Join(r.Features, ", "))
	}
	t.printf("%-*s  %-*s %9s %9s %9s %7s\n", t.nameWidth, "TARGET", t.phaseWidth, "PHASE", "COLD", "WARM p50", "SAVED", "SAVED%")
	for _, wm := range r.Warmth {
		t.warmTarget(wm)
	}
	t.printf("\ntimes in ms; warm p50 over successful warm probes, a reused phase counting as 0\n")
	t.failures(r.Stats)
	t.closing(r.Stats, r.Interrupted)
	return t.err
}

func warmWidths(r WarmReport) (name, phase int) {
	var targets, phases []string
	for _, wm := range r.Warmth {
		targets = append(targets, wm.Name)
		for _, p := range wm.Phases {
			phases = append(phases, p.Name)
		}
	}
	return columnWidths(targets, phases)
}

func (t *tableWriter) warmTarget(wm stats.Warmth) {
	name := truncate(wm.Name, t.nameWidth)
	if wm.Cold == nil {
		t.printf("%-*s  (no probes ran)\n", t.nameWidth, name)
		return
	}
	for _, p := range wm.Phases {
		t.warmRow(name, p, wm.WarmOK)
		name = ""
	}
	t.warmRow("", wm.Total, wm.WarmOK)
	t.printf("%-*s  %s\n", t.nameWidth, "", warmSummary(wm))
	for _, r := range wm.NotReusable {
		t.printf("%-*s  not reusable: %s (%d×)\n", t.nameWidth, "", r.Message, r.Count)
	}
}

func (t *tableWriter) warmRow(name string, p stats.WarmPhase, warmOK int) {
	phase := truncate(p.Name, t.phaseWidth)
	if p.ColdSkipped {
		t.printf("%-*s  %-*s %9s  skipped\n", t.nameWidth, name, t.phaseWidth, phase, "-")
		return
	}
	cold, warm, saved, percent := "-", "-", "-", ""
	if p.ColdOK {
		cold = msText(p.Cold)
	}
	switch {
	case warmOK > 0 && p.Reused == warmOK:
		warm = "reused"
	case p.WarmRan+p.Reused > 0:
		warm = msText(p.WarmP50)
	}
	if p.ColdOK && p.WarmRan+p.Reused > 0 {
		saved = signedMS(p.Saved())
		if p.Cold > 0 {
			percent = fmt.Sprintf("%d%%", int(100*float64(p.Saved())/float64(p.Cold)))
		}
	}
	t.printf("%-*s  %-*s %9s %9s %9s %7s\n", t.nameWidth, name, t.phaseWidth, phase, cold, warm, saved, percent)
}

func signedMS(d time.Duration) string {
	if d < 0 {
		return "-" + msText(-d)
	}
	return msText(d)
}

// warmSummary says how many warm probes succeeded and why they were warm.
func warmSummary(wm stats.Warmth) string {
	if wm.Warm == 0 {
		return "no warm probes (use --count 2 or more)"
	}
	return fmt.Sprintf("warm %d/%d ok: connection reused %d, tls resumed %d, dns cached %d",
		wm.WarmOK, wm.Warm, wm.Reused, wm.Resumed, wm.Cached)
}

type warmJSON struct {
	Schema      string           `json:"schema"`
	Features    []string         `json:"features"`
	Interrupted bool             `json:"interrupted,omitempty"`
	Targets     []warmTargetJSON `json:"targets"`
}

type warmTargetJSON struct {
	Name        string           `json:"name"`
	Host        string           `json:"host"`
	HostU       string           `json:"host_unicode,omitempty"`
	Port        int              `json:"port"`
	Protocol    string           `json:"protocol"`
	ColdOK      bool             `json:"cold_ok"`
	WarmProbes  int              `json:"warm_probes"`
	WarmOK      int              `json:"warm_ok"`
	Reused      int              `json:"reused"`
	Resumed     int              `json:"resumed"`
	Cached      int              `json:"cached"`
	NotReusable []warmReasonJSON `json:"not_reusable"`
	Phases      []warmPhaseJSON  `json:"phases"`
	Total       warmPhaseJSON    `json:"total"`
	ColdFailure *jsonFailure     `json:"cold_error"`
}

// warmReasonJSON is one reason connections could not be reused, and how
// often it was given.
type warmReasonJSON struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

type warmPhaseJSON struct {
	Phase      string   `json:"phase"`
	ColdMS     *float64 `json:"cold_ms"`
	WarmP50MS  *float64 `json:"warm_p50_ms"`
	WarmMeanMS *float64 `json:"warm_mean_ms"`
	SavedMS    *float64 `json:"saved_ms"`
	WarmRan    int      `json:"warm_ran"`
	WarmReused int      `json:"warm_reused"`
}

// writeWarmJSON writes the warmup report as one JSON document
// (probe.warmup/v1); figures that do not exist are null.
func writeWarmJSON(w io.Writer, r WarmReport, _ Options) error {
	doc := warmJSON{Schema: WarmSchema, Features: r.Features, Interrupted: r.Interrupted, Targets: []warmTargetJSON{}}
	if doc.Features == nil {
		doc.Features = []string{}
	}
	for i, wm := range r.Warmth {
		t := r.Targets[i]
		jt := warmTargetJSON{Name: wm.Name, Host: t.Host, HostU: sdk.UnicodeHost(t.Host), Port: t.Port, Protocol: t.Protocol,
			WarmProbes: wm.Warm, WarmOK: wm.WarmOK, Reused: wm.Reused, Resumed: wm.Resumed, Cached: wm.Cached,
			Phases: []warmPhaseJSON{}, Total: warmPhaseDoc(wm.Total), NotReusable: []warmReasonJSON{}}
		for _, r := range wm.NotReusable {
			jt.NotReusable = append(jt.NotReusable, warmReasonJSON{Reason: r.Message, Count: r.Count})
		}
		if wm.Cold != nil {
			jt.ColdOK = wm.Cold.OK()
			if f := wm.Cold.Failure(); f != nil && f.Error != nil {
				jt.ColdFailure = failureDoc(f.Name, f.Error.Kind, f.Error.Message)
			}
		}
		for _, p := range wm.Phases {
			jt.Phases = append(jt.Phases, warmPhaseDoc(p))
		}
		doc.Targets = append(doc.Targets, jt)
	}
	return EncodeJSON(w, doc)
}

func warmPhaseDoc(p stats.WarmPhase) warmPhaseJSON {
	out := warmPhaseJSON{Phase: p.Name, WarmRan: p.WarmRan, WarmReused: p.Reused}
	if p.ColdOK {
		out.ColdMS = ms(p.Cold)
	}
	if p.WarmRan+p.Reused > 0 {
		out.WarmP50MS, out.WarmMeanMS = ms(p.WarmP50), ms(p.WarmMean)
		if p.ColdOK {
			out.SavedMS = ms(p.Saved())
		}
	}
	return out
}
