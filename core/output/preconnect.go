package output

// This file renders `probe preconnect`: a line per phase as it completes
// (PreconnectWriter), then the tally, or the probe.preconnect/v1 document
// listing every probe.

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/internal/safetext"
	"github.com/probe-net/probe/sdk"
)

// PhaseEvent is one completed phase of one probe, as the runner reports it
// through runner.Options.OnPhase.
type PhaseEvent struct {
	Target string
	Round  int // 0-based
	Phase  sample.Phase
}

// PreconnectWriter prints phase events as they arrive, one line each, and a
// closing line per probe. Every line starts with the target's name padded
// to the longest name, so the lines of targets probed in parallel can
// interleave and stay readable:
//
//	web      dns    ok      0.512 ms  127.0.0.1
//	secure   tls    ok      3.104 ms  TLS 1.3 TLS_AES_128_GCM_SHA256
//	raw      dns    skipped           host is an IP address
//	missing  dns    FAILED  2.100 ms  nxdomain: missing.probe.test does not exist
//	web      total  ok      3.755 ms  connected
//
// It only formats what it is given; the caller serialises the calls.
type PreconnectWriter struct {
	w          io.Writer
	nameWidth  int
	phaseWidth int
	rounds     int // with more than one, names carry the round: "web #2"
	color      bool
	err        error
}

// NewPreconnectWriter prepares a writer for the named targets, whose chains
// use the named phases, probed rounds times each. o.Color paints the status
// words.
func NewPreconnectWriter(w io.Writer, names, phases []string, rounds int, o Options) *PreconnectWriter {
	p := &PreconnectWriter{w: w, nameWidth: 1, phaseWidth: len("total"), rounds: rounds, color: o.Color}
	for _, n := range names {
		p.nameWidth = max(p.nameWidth, len(n))
	}
	for _, ph := range phases {
		p.phaseWidth = max(p.phaseWidth, len(ph))
	}
	if rounds > 1 {
		p.nameWidth += len(" #") + len(strconv.Itoa(rounds))
	}
	return p
}

// Err returns the first write error.
func (p *PreconnectWriter) Err() error { return p.err }

// Phase prints one completed phase.
func (p *PreconnectWriter) Phase(e PhaseEvent) {
	ph := e.Phase
	dur := ""
	switch {
	case ph.Status == sample.OK, ph.Status == sample.Failed && ph.Duration > 0:
		dur = msText(ph.Duration) + " ms"
	case ph.Status == sample.Failed:
		dur = "-"
	}
	p.line(e.Target, e.Round, ph.Name, ph.Status, dur, PhaseDetail(ph))
}

// Done prints the closing line of a finished probe: its total time and
// whether the chain connected or where it failed.
func (p *PreconnectWriter) Done(s sample.Sample) {
	status, detail := sample.OK, "connected"
	if f := s.Failure(); f != nil {
		status, detail = sample.Failed, "failed at "+f.Name
	}
	if s.Note != "" {
		detail += " (" + s.Note + ")"
	}
	p.line(s.Target, s.Round, "total", status, msText(s.Total())+" ms", detail)
}

func (p *PreconnectWriter) line(target string, round int, phase string, status sample.Status, dur, detail string) {
	name := target
	if p.rounds > 1 {
		name += " #" + strconv.Itoa(round+1)
	}
	word := progressPaint(fmt.Sprintf("%-7s", progressWord(status)), status, p.color)
	text := fmt.Sprintf("%-*s  %-*s  %s %8s  %s", p.nameWidth, name, p.phaseWidth, phase, word, dur, detail)
	p.printf("%s\n", strings.TrimRight(text, " "))
}

func (p *PreconnectWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func progressWord(s sample.Status) string {
	if s == sample.Failed {
		return "FAILED"
	}
	return string(s)
}

func progressPaint(text string, s sample.Status, color bool) string {
	switch {
	case !color:
		return text
	case s == sample.OK:
		return colorGreen + text + colorReset
	case s == sample.Failed:
		return colorRed + text + colorReset
	}
	return text
}

// PhaseDetail is one short, useful fact about a phase: the cause of a
// failure, why it did not run, or the headline of what it reported (dns:
// the answers; tcp: the remote address; tls: version and cipher; http:
// protocol and status; any other phase: its first attributes).
func PhaseDetail(ph sample.Phase) string {
	switch ph.Status {
	case sample.Failed:
		if ph.Error == nil {
			return "unknown failure"
		}
		return describeError(ph.Error.Kind, ph.Error.Message)
	case sample.Skipped, sample.Reused:
		return ph.Note
	}
	return progressAttrDetail(ph.Attributes)
}

// progressAttrDetail picks the detail by the attributes present, so a
// renamed instance of a built-in (builtin = "http") gets its detail too.
func progressAttrDetail(a sdk.Attributes) string {
	switch {
	case a[sdk.AttrHTTPStatus] != nil:
		return strings.TrimSpace(progressAttr(a[sdk.AttrHTTPProtocol]) + " " + progressAttr(a[sdk.AttrHTTPStatus]))
	case a[sdk.AttrTLSVersion] != nil:
		return progressTLSDetail(a)
	case a[sdk.AttrTCPRemote] != nil:
		return progressAttr(a[sdk.AttrTCPRemote])
	case a[sdk.AttrDNSAnswers] != nil || a[sdk.AttrDNSSource] != nil:
		return progressDNSDetail(a)
	}
	return progressGenericDetail(a)
}

func progressTLSDetail(a sdk.Attributes) string {
	out := strings.TrimSpace(progressAttr(a[sdk.AttrTLSVersion]) + " " + progressAttr(a[sdk.AttrTLSCipher]))
	if resumed, _ := a[sdk.AttrTLSResumed].(bool); resumed {
		out += ", resumed"
	}
	return out
}

// progressDNSDetail lists at most three answers.
func progressDNSDetail(a sdk.Attributes) string {
	raw, _ := a[sdk.AttrDNSAnswers].([]string)
	answers := make([]string, len(raw))
	for i, s := range raw {
		answers[i] = safetext.Escape(s)
	}
	out := "no addresses"
	switch {
	case len(answers) > 3:
		out = fmt.Sprintf("%s +%d more", strings.Join(answers[:3], ", "), len(answers)-3)
	case len(answers) > 0:
		out = strings.Join(answers, ", ")
	}
	if cached, _ := a[sdk.AttrDNSCached].(bool); cached {
		out += " (cached)"
	}
	return out
}

// progressGenericDetail shows the first three attributes by name.
func progressGenericDetail(a sdk.Attributes) string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys[:min(len(keys), 3)] {
		parts = append(parts, k+"="+progressAttr(a[k]))
	}
	return strings.Join(parts, " ")
}

// progressAttr shows an attribute's value, escaped (safetext).
func progressAttr(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Duration:
		return msText(v) + "ms"
	case []string:
		return safetext.Escape(strings.Join(v, ","))
	}
	return safetext.Escape(fmt.Sprint(v))
}

// PreconnectSchema identifies the preconnect document layout
// (docs/schema/probe.preconnect.v1.json).
const PreconnectSchema = "probe.preconnect/v1"

// PreconnectReport is what preconnect prints once the probes are done.
type PreconnectReport struct {
	Targets []sdk.Target
	Stats   []stats.Target // same order: the tally and the insecure warning
	// Samples are the finished probes, in any order. Only the JSON document
	// needs them (it lists every probe); the other formats leave them nil.
	Samples     []sample.Sample
	Interrupted bool
}

// preconnectFormats are the formats of a preconnect report. The table's
// phase lines are written as the run goes (PreconnectWriter).
var preconnectFormats = formatTable[PreconnectReport]{
	{FormatTable, writePreconnectTally},
	{FormatJSON, writePreconnectJSON},
	{FormatNDJSON, streamed[PreconnectReport]},
}

// Formats lists table, json and ndjson.
func (PreconnectReport) Formats() []Format { return preconnectFormats.formats() }

// Render writes the report in format f.
func (r PreconnectReport) Render(w io.Writer, f Format, o Options) error {
	return preconnectFormats.render(w, f, r, o)
}

// tally counts the probes that connected and those that failed.
func (r PreconnectReport) tally() (ok, failed int) {
	for _, st := range r.Stats {
		ok += st.OK
		failed += st.Probes - st.OK
	}
	return ok, failed
}

// writePreconnectTally closes the phase lines: the counts, the insecure
// warning, and a note when the run was interrupted.
func writePreconnectTally(w io.Writer, r PreconnectReport, _ Options) error {
	tw := &tableWriter{w: w}
	ok, failed := r.tally()
	tw.printf("\n%d connected, %d failed\n", ok, failed)
	if w := insecureWarning(stats.InsecureNames(r.Stats)); w != "" {
		tw.printf("%s", w)
	}
	if r.Interrupted {
		tw.printf("interrupted: only the probes above finished\n")
	}
	return tw.err
}

type preconnectJSON struct {
	Schema      string                 `json:"schema"`
	Interrupted bool                   `json:"interrupted,omitempty"`
	Targets     []preconnectTargetJSON `json:"targets"`
	Connected   int                    `json:"connected"`
	Failed      int                    `json:"failed"`
}

type preconnectTargetJSON struct {
	Name        string                `json:"name"`
	Host        string                `json:"host"`
	HostU       string                `json:"host_unicode,omitempty"`
	Port        int                   `json:"port"`
	Protocol    string                `json:"protocol"`
	Round       int                   `json:"round"`
	OK          bool                  `json:"ok"`
	TotalMS     float64               `json:"total_ms"`
	FailedPhase *string               `json:"failed_phase"`
	Note        string                `json:"note,omitempty"`
	Phases      []preconnectPhaseJSON `json:"phases"`
}

type preconnectPhaseJSON struct {
	Phase      string               `json:"phase"`
	Plugin     string               `json:"plugin,omitempty"`
	Status     string               `json:"status"`
	DurationMS *float64             `json:"duration_ms"`
	Detail     string               `json:"detail"`
	Error      *preconnectErrorJSON `json:"error"`
	Attributes map[string]any       `json:"attributes,omitempty"`
}

type preconnectErrorJSON struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// writePreconnectJSON writes one document (probe.preconnect/v1) with one
// entry per finished probe, in target order, then round order (round is
// 1-based). A probe interrupted before it finished has no entry.
func writePreconnectJSON(w io.Writer, r PreconnectReport, _ Options) error {
	doc := preconnectJSON{Schema: PreconnectSchema, Interrupted: r.Interrupted, Targets: []preconnectTargetJSON{}}
	doc.Connected, doc.Failed = r.tally()
	for _, t := range r.Targets {
		for _, s := range preconnectProbesOf(t.Name, r.Samples) {
			doc.Targets = append(doc.Targets, preconnectEntry(t, s))
		}
	}
	return EncodeJSON(w, doc)
}

// preconnectProbesOf returns the samples of one target by round.
func preconnectProbesOf(name string, samples []sample.Sample) []sample.Sample {
	var out []sample.Sample
	for _, s := range samples {
		if s.Target == name {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b sample.Sample) int { return a.Round - b.Round })
	return out
}

func preconnectEntry(t sdk.Target, s sample.Sample) preconnectTargetJSON {
	e := preconnectTargetJSON{
		Name: t.Name, Host: t.Host, HostU: sdk.UnicodeHost(t.Host), Port: t.Port, Protocol: t.Protocol, Round: s.Round + 1,
		OK: s.OK(), TotalMS: *ms(s.Total()), Note: s.Note, Phases: []preconnectPhaseJSON{},
	}
	if f := s.Failure(); f != nil {
		e.FailedPhase = &f.Name
	}
	for _, ph := range s.Phases {
		e.Phases = append(e.Phases, preconnectPhase(ph))
	}
	return e
}

func preconnectPhase(ph sample.Phase) preconnectPhaseJSON {
	out := preconnectPhaseJSON{
		Phase: ph.Name, Plugin: ph.Plugin, Status: string(ph.Status),
		Detail: PhaseDetail(ph), Attributes: attributes(ph.Attributes),
	}
	if ph.Status == sample.OK || ph.Status == sample.Failed && ph.Duration > 0 {
		out.DurationMS = ms(ph.Duration)
	}
	if ph.Error != nil {
		out.Error = &preconnectErrorJSON{Kind: string(ph.Error.Kind), Message: plainMessage(ph.Error.Kind, ph.Error.Message)}
	}
	return out
}
