package output

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// PhaseEvent is one completed phase of one probe, as the runner reports it
// through runner.Options.OnPhase.
type PhaseEvent struct {
	Target string
	Round  int // 0-based
	Phase  sample.Phase
}

// ProgressWriter prints phase events as they arrive, one line each, and a
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
type ProgressWriter struct {
	w          io.Writer
	nameWidth  int
	phaseWidth int
	rounds     int // with more than one, names carry the round: "web #2"
	color      bool
	err        error
}

// NewProgressWriter prepares a writer for the targets, probed rounds times
// each. color paints the status words.
func NewProgressWriter(w io.Writer, targets []plan.Target, rounds int, color bool) *ProgressWriter {
	p := &ProgressWriter{w: w, nameWidth: 1, phaseWidth: len("total"), rounds: rounds, color: color}
	for _, t := range targets {
		p.nameWidth = max(p.nameWidth, len(t.Name))
		for _, ph := range t.Phases {
			p.phaseWidth = max(p.phaseWidth, len(ph))
		}
	}
	if rounds > 1 {
		p.nameWidth += len(" #") + len(strconv.Itoa(rounds))
	}
	return p
}

// Err returns the first write error.
func (p *ProgressWriter) Err() error { return p.err }

// Phase prints one completed phase.
func (p *ProgressWriter) Phase(e PhaseEvent) {
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
func (p *ProgressWriter) Done(s sample.Sample) {
	status, detail := sample.OK, "connected"
	if f := s.Failure(); f != nil {
		status, detail = sample.Failed, "failed at "+f.Name
	}
	if s.Note != "" {
		detail += " (" + s.Note + ")"
	}
	p.line(s.Target, s.Round, "total", status, msText(s.Total())+" ms", detail)
}

// Finish prints the tally of the finished probes.
func (p *ProgressWriter) Finish(samples []sample.Sample, interrupted bool) {
	ok, failed := preconnectTally(samples)
	p.printf("\n%d connected, %d failed\n", ok, failed)
	if w := insecureWarning(InsecureTargets(samples)); w != "" {
		p.printf("%s", w)
	}
	if interrupted {
		p.printf("interrupted: only the probes above finished\n")
	}
}

func (p *ProgressWriter) line(target string, round int, phase string, status sample.Status, dur, detail string) {
	name := target
	if p.rounds > 1 {
		name += " #" + strconv.Itoa(round+1)
	}
	word := progressPaint(fmt.Sprintf("%-7s", progressWord(status)), status, p.color)
	text := fmt.Sprintf("%-*s  %-*s  %s %8s  %s", p.nameWidth, name, p.phaseWidth, phase, word, dur, detail)
	p.printf("%s\n", strings.TrimRight(text, " "))
}

func (p *ProgressWriter) printf(format string, args ...any) {
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
		return statusGreen + text + statusReset
	case s == sample.Failed:
		return statusRed + text + statusReset
	}
	return text
}

func preconnectTally(samples []sample.Sample) (ok, failed int) {
	for _, s := range samples {
		if s.OK() {
			ok++
		} else {
			failed++
		}
	}
	return ok, failed
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
	answers, _ := a[sdk.AttrDNSAnswers].([]string)
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

func progressAttr(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Duration:
		return msText(v) + "ms"
	case []string:
		return strings.Join(v, ",")
	}
	return fmt.Sprint(v)
}

// PreconnectSchema identifies the preconnect document layout.
const PreconnectSchema = "probe.preconnect/v1"

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

// WritePreconnectJSON writes one document ("probe.preconnect/v1") with one
// entry per finished probe, in target order, then round order (round is
// 1-based). A probe interrupted before it finished has no entry.
func WritePreconnectJSON(w io.Writer, targets []plan.Target, samples []sample.Sample, interrupted bool) error {
	doc := preconnectJSON{Schema: PreconnectSchema, Interrupted: interrupted, Targets: []preconnectTargetJSON{}}
	doc.Connected, doc.Failed = preconnectTally(samples)
	for _, t := range targets {
		for _, s := range preconnectProbesOf(t.Name, samples) {
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

func preconnectEntry(t plan.Target, s sample.Sample) preconnectTargetJSON {
	e := preconnectTargetJSON{
		Name: t.Name, Host: t.Host, Port: t.Port, Protocol: t.Protocol, Round: s.Round + 1,
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
