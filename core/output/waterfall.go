package output

// This file renders one probe in detail, for `probe test`: what each phase
// reported, a waterfall of the phase durations with curl-style cumulative
// marks under it, and the same as a JSON document ("probe.test/v1").

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// ProbeSchema identifies the JSON document of WriteProbeJSON.
const ProbeSchema = "probe.test/v1"

// Cumulative marks, named after curl's -w variables (time_namelookup, ...).
// Each is the time from the start of the probe, summing the phases' own
// durations, so the framework's overhead between phases is left out.
const (
	MarkNameLookup    = "namelookup"    // dns done (0 when dns was skipped)
	MarkConnect       = "connect"       // tcp connected
	MarkAppConnect    = "appconnect"    // tls handshake done
	MarkStartTransfer = "starttransfer" // first response byte: http start + http.ttfb
	MarkTotal         = "total"         // every phase that ran, failed ones included
)

// Mark is one cumulative point of a probe.
type Mark struct {
	Name string
	At   time.Duration
}

// Marks returns the cumulative marks of s in order. A mark is present only
// when its phase succeeded (or, for namelookup, was skipped); total always is.
func Marks(s sample.Sample) []Mark {
	var out []Mark
	var at time.Duration
	for _, p := range s.Phases {
		start := at
		at += p.Duration
		if p.Name == sdk.PhaseHTTP {
			if ttfb, ok := p.Attributes[sdk.AttrHTTPTTFB].(time.Duration); ok && ttfb > 0 {
				out = append(out, Mark{MarkStartTransfer, start + min(ttfb, p.Duration)})
			}
		}
		if name := markAfter(p); name != "" {
			out = append(out, Mark{name, at})
		}
	}
	return append(out, Mark{MarkTotal, at})
}

func markAfter(p sample.Phase) string {
	switch {
	case p.Name == sdk.PhaseDNS && (p.Status == sample.OK || p.Status == sample.Skipped):
		return MarkNameLookup
	case p.Status != sample.OK:
		return ""
	case p.Name == sdk.PhaseTCP:
		return MarkConnect
	case p.Name == sdk.PhaseTLS:
		return MarkAppConnect
	}
	return ""
}

// ProbeReport is one probe of one target, for WriteProbe and WriteProbeJSON.
type ProbeReport struct {
	Target plan.Target
	Sample sample.Sample // the probe shown in detail (the last one)
	Probes int           // how many probes ran; Sample is the last
	Stats  *stats.Target // statistics over all probes; nil for a single probe
}

// ProbeWidth is the width WriteProbe lays the waterfall out in.
const ProbeWidth = 80

// WriteProbe writes a header, each phase's details, the waterfall and, if
// the probe failed, the phase and cause. color adds ANSI colours.
func WriteProbe(w io.Writer, r ProbeReport, color bool) error {
	tw := &tableWriter{w: w}
	t := r.Target
	tw.printf("probe test %s %s\n", net.JoinHostPort(t.Host, strconv.Itoa(t.Port)), t.Protocol)
	if r.Probes > 1 {
		tw.printf("details of the last of %d probes\n", r.Probes)
	}
	if skippedVerification(r.Sample) {
		tw.printf("%s\n", wfPaint(wfBoldRed, "WARNING: TLS VERIFICATION SKIPPED (--insecure): the certificate was not checked", color))
	}
	tw.printf("\n")
	if tw.err == nil {
		tw.err = WriteDetails(w, r.Sample, color)
	}
	tw.printf("\n")
	if tw.err == nil {
		tw.err = WriteWaterfall(w, r.Sample, ProbeWidth, color)
	}
	if f := r.Sample.Failure(); f != nil && f.Error != nil {
		tw.printf("\n%s\n", wfPaint(wfBoldRed, "FAILED at "+phaseError(f.Name, f.Error.Kind, f.Error.Message), color))
	}
	return tw.err
}

// skippedVerification reports whether the tls phase accepted any certificate.
func skippedVerification(s sample.Sample) bool {
	for _, p := range s.Phases {
		if v, ok := p.Attributes[sdk.AttrTLSInsecure].(bool); ok && v {
			return true
		}
	}
	return false
}

// ANSI colours of the probe report.
const (
	wfCyan    = "\x1b[36m"
	wfRed     = "\x1b[31m"
	wfBoldRed = "\x1b[1;31m"
	wfDim     = "\x1b[2m"
	wfReset   = "\x1b[0m"
)

func wfPaint(code, text string, color bool) string {
	if !color || text == "" {
		return text
	}
	return code + text + wfReset
}

// --- details ---

// detailField is one line of a phase's details: a label and how to show
// the phase's attributes ("" leaves the line out).
type detailField struct {
	label string
	show  func(a map[string]any) string
}

// attrField shows one attribute as it is; lists are joined with sep.
func attrField(key, sep string) func(map[string]any) string {
	return func(a map[string]any) string { return detailText(a[key], sep) }
}

func detailText(v any, sep string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []string:
		return strings.Join(v, sep)
	case time.Duration:
		return msText(v) + " ms"
	case string:
		return v
	}
	return fmt.Sprint(v)
}

var phaseDetails = map[string][]detailField{
	sdk.PhaseDNS: {
		{"addresses", attrField(sdk.AttrDNSAnswers, ", ")},
		{"server", detailDNSServer},
		{"rcode", attrField(sdk.AttrDNSRcode, "")},
		{"cname", attrField(sdk.AttrDNSCNAME, " → ")},
		{"source", detailDNSSource},
		{"queries", attrField(sdk.AttrDNSQueries, "")},
	},
	sdk.PhaseTCP: {
		{"remote", attrField(sdk.AttrTCPRemote, "")},
		{"local", attrField(sdk.AttrTCPLocal, "")},
		{"family", attrField(sdk.AttrTCPFamily, "")},
		{"attempts", attrField(sdk.AttrTCPAttempts, "")},
	},
	sdk.PhaseTLS: {
		{"verify", detailTLSVerify},
		{"server name", attrField(sdk.AttrTLSServerName, "")},
		{"version", attrField(sdk.AttrTLSVersion, "")},
		{"cipher", attrField(sdk.AttrTLSCipher, "")},
		{"curve", attrField(sdk.AttrTLSCurve, "")},
		{"alpn", attrField(sdk.AttrTLSALPN, "")},
		{"resumed", attrField(sdk.AttrTLSResumed, "")},
		{"subject", attrField(sdk.AttrTLSPeerSubject, "")},
		{"issuer", attrField(sdk.AttrTLSPeerIssuer, "")},
		{"SANs", attrField(sdk.AttrTLSPeerSANs, ", ")},
		{"not after", detailTLSExpiry},
	},
	sdk.PhaseHTTP: {
		{"status", detailHTTPStatus},
		{"protocol", attrField(sdk.AttrHTTPProtocol, "")},
		{"request", attrField(sdk.AttrHTTPMethod, "")},
		{"server", attrField(sdk.AttrHTTPServer, "")},
		{"content-type", attrField(sdk.AttrHTTPContentType, "")},
		{"location", attrField(sdk.AttrHTTPLocation, "")},
		{"first byte", attrField(sdk.AttrHTTPTTFB, "")},
	},
}

func detailDNSServer(a map[string]any) string {
	server, transport := detailText(a[sdk.AttrDNSServer], ""), detailText(a[sdk.AttrDNSTransport], "")
	if server != "" && transport != "" {
		return server + " (" + transport + ")"
	}
	return server + transport
}

// detailDNSSource is shown only when the answer did not come from a server.
func detailDNSSource(a map[string]any) string {
	if s := detailText(a[sdk.AttrDNSSource], ""); s != "server" {
		return s
	}
	return ""
}

func detailTLSVerify(a map[string]any) string {
	if v, ok := a[sdk.AttrTLSInsecure].(bool); ok && v {
		return "VERIFICATION SKIPPED (--insecure)"
	}
	return ""
}

func detailTLSExpiry(a map[string]any) string {
	at := detailText(a[sdk.AttrTLSPeerNotAfter], "")
	days, ok := a[sdk.AttrTLSPeerDaysLeft].(int64)
	if at == "" || !ok {
		return at
	}
	if days < 0 {
		return fmt.Sprintf("%s (EXPIRED %d days ago)", at, -days)
	}
	return fmt.Sprintf("%s (%d days left)", at, days)
}

func detailHTTPStatus(a map[string]any) string {
	code, ok := a[sdk.AttrHTTPStatus].(int64)
	if !ok {
		return detailText(a[sdk.AttrHTTPStatus], "")
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", code, http.StatusText(int(code))))
}

// Details layout: the phase name in upper case, then label and value.
const (
	detailPhaseWidth = 6
	detailLabelWidth = 13
)

// WriteDetails writes, per phase of s, the attributes it reported that
// matter to a person; a phase without details gets one line saying so.
// Phases probe does not know show all their attributes, sorted.
func WriteDetails(w io.Writer, s sample.Sample, color bool) error {
	tw := &tableWriter{w: w}
	for _, p := range s.Phases {
		lines := detailLines(p, color)
		head := strings.ToUpper(p.Name)
		for i, l := range lines {
			if i > 0 {
				head = ""
			}
			tw.printf("%-*s %s\n", detailPhaseWidth, head, l)
		}
	}
	return tw.err
}

func detailLines(p sample.Phase, color bool) []string {
	switch {
	case p.Status == sample.Skipped || p.Status == sample.Reused:
		return []string{wfPaint(wfDim, strings.TrimSpace(string(p.Status)+" "+inParens(p.Note)), color)}
	}
	var lines []string
	fields, known := phaseDetails[p.Name]
	if !known {
		fields = genericFields(p.Attributes)
	}
	for _, f := range fields {
		v := f.show(p.Attributes)
		if v == "" {
			continue
		}
		if f.label == "verify" {
			v = wfPaint(wfBoldRed, v, color)
		}
		lines = append(lines, fmt.Sprintf("%-*s %s", detailLabelWidth, f.label, v))
	}
	if len(lines) == 0 {
		lines = append(lines, wfPaint(wfDim, "(no details reported)", color))
	}
	return lines
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// genericFields shows every attribute of a phase probe has no layout for.
func genericFields(a map[string]any) []detailField {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]detailField, len(keys))
	for i, k := range keys {
		fields[i] = detailField{k, attrField(k, ", ")}
	}
	return fields
}

// --- waterfall ---

// Waterfall layout. Each row is the phase name, its duration and a bar that
// starts where the previous phase ended: a row takes
// nameWidth+wfTimeWidth+2 columns before its bar, and the bars share the
// rest of the width, the longest total spanning all of it. A failed probe
// keeps len(wfFailedTag) columns free for the tag after its last bar.
const (
	wfTimeWidth = 9 // "12345 ms"
	wfMinBars   = 10
	wfFailedTag = " failed"
	wfBar       = "█"
	wfFailedBar = "░"
)

// waterfall is the geometry of one rendering.
type waterfall struct {
	nameWidth int
	bars      int           // columns for the bars
	total     time.Duration // spans all the bar columns
}

// prefix is the columns before the bars.
func (g waterfall) prefix() int { return g.nameWidth + wfTimeWidth + 2 }

// pos maps a time from the start of the probe to a bar column, 0..bars.
func (g waterfall) pos(at time.Duration) int {
	if g.total <= 0 {
		return 0
	}
	return int((int64(at)*int64(g.bars) + int64(g.total)/2) / int64(g.total))
}

// span is the bar of a phase that runs from start to end.
func (g waterfall) span(start, end time.Duration) (int, int) {
	from, to := g.pos(start), g.pos(end)
	if to == from && end > start { // visible, however short
		to++
	}
	if to > g.bars {
		from, to = g.bars-1, g.bars
	}
	return from, to
}

func newWaterfall(s sample.Sample, width int) waterfall {
	g := waterfall{nameWidth: len("phase") + 1, total: s.Total()}
	for _, p := range s.Phases {
		g.nameWidth = max(g.nameWidth, min(len(p.Name), 12)+1)
	}
	g.bars = width - g.prefix()
	if !s.OK() {
		g.bars -= len(wfFailedTag)
	}
	g.bars = max(g.bars, wfMinBars)
	return g
}

// WriteWaterfall draws s as a waterfall in width columns (at least what
// the labels and 10 bar columns need): a scale line, one row per phase
// with its duration and a bar proportional to it, then the cumulative marks
// (see Marks), each ending at the column where its time falls, as httpstat
// does (0.5 + 0.3 + 3.2 + 1.2 ms, the first byte 1 ms into http):
//
//	phase        ms  0                                                      5.200 ms
//	dns       0.500  ██████
//	tcp       0.300        ████
//	tls       3.200            ██████████████████████████████████████
//	http      1.200                                                  ███████████████
//	                      |   |                                     |            | |
//	     namelookup:0.500ms   |                                     |            | |
//	            connect:0.800ms                                     |            | |
//	                                               appconnect:4.000ms            | |
//	                                                         starttransfer:5.000ms |
//	                                                                   total:5.200ms
//
// A skipped phase shows "skipped" and why; a failed phase a light bar and
// "failed". Bars are whole columns: a phase of any length gets at least one.
func WriteWaterfall(w io.Writer, s sample.Sample, width int, color bool) error {
	g := newWaterfall(s, width)
	tw := &tableWriter{w: w}
	right := msText(g.total) + " ms"
	tw.printf("%-*s%*s  %-*s%s\n", g.nameWidth, "phase", wfTimeWidth, "ms", max(g.bars-len(right), 2), "0", right)
	var at time.Duration
	for _, p := range s.Phases {
		tw.printf("%s\n", g.row(p, at, color))
		at += p.Duration
	}
	g.marks(tw, Marks(s))
	return tw.err
}

func (g waterfall) row(p sample.Phase, start time.Duration, color bool) string {
	label := fmt.Sprintf("%-*s", g.nameWidth, truncate(p.Name, g.nameWidth-1))
	switch p.Status {
	case sample.Skipped, sample.Reused:
		note := truncate(inParens(p.Note), g.bars)
		return strings.TrimRight(fmt.Sprintf("%s%*s  %s", label, wfTimeWidth, p.Status, wfPaint(wfDim, note, color)), " ")
	}
	from, to := g.span(start, start+p.Duration)
	bar, tag := wfPaint(wfCyan, strings.Repeat(wfBar, to-from), color), ""
	if p.Status == sample.Failed {
		bar, tag = wfPaint(wfRed, strings.Repeat(wfFailedBar, to-from), color), wfPaint(wfBoldRed, wfFailedTag, color)
	}
	return fmt.Sprintf("%s%*s  %s%s%s", label, wfTimeWidth, msText(p.Duration), strings.Repeat(" ", from), bar, tag)
}

// markColumn is the column of the bar cell in which a mark's time ends.
func (g waterfall) markColumn(at time.Duration) int {
	return g.prefix() + max(g.pos(at), 1) - 1
}

// marks writes a line of ticks, then one line per mark: its text ends at
// its tick, with the ticks of the later marks continuing to the right.
func (g waterfall) marks(tw *tableWriter, marks []Mark) {
	cols := make([]int, len(marks))
	for i, m := range marks {
		cols[i] = g.markColumn(m.At)
	}
	tw.printf("%s\n", ticks(make([]byte, 0, cols[len(cols)-1]+1), cols))
	for i, m := range marks {
		text := m.Name + ":" + msText(m.At) + "ms"
		line := []byte(strings.Repeat(" ", max(cols[i]+1-len(text), 0)) + text)
		tw.printf("%s\n", ticks(line, cols[i+1:]))
	}
}

// ticks appends a '|' at each column of cols that lies beyond line.
func ticks(line []byte, cols []int) []byte {
	for _, c := range cols {
		if c < len(line) {
			continue
		}
		line = append(line, strings.Repeat(" ", c-len(line))...)
		line = append(line, '|')
	}
	return line
}

// --- JSON ---

type probeJSON struct {
	Schema       string          `json:"schema"`
	Target       probeTargetJSON `json:"target"`
	OK           bool            `json:"ok"`      // every probe succeeded (the exit status agrees)
	LastOK       bool            `json:"last_ok"` // the probe shown in detail succeeded
	Probes       int             `json:"probes"`
	WallMS       *float64        `json:"wall_ms"`
	Phases       []probePhase    `json:"phases"`
	CumulativeMS probeCumulative `json:"cumulative_ms"`
	Stats        *jsonTarget     `json:"stats,omitempty"`
}

type probeTargetJSON struct {
	Name     string `json:"name"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

type probePhase struct {
	Phase      string         `json:"phase"`
	Plugin     string         `json:"plugin"`
	Status     sample.Status  `json:"status"`
	Note       string         `json:"note,omitempty"`
	DurationMS *float64       `json:"duration_ms"`
	WallMS     *float64       `json:"wall_ms"`
	Error      *sample.Error  `json:"error"`
	Attributes map[string]any `json:"attributes"`
}

// probeCumulative holds the marks; a mark that does not apply is null.
type probeCumulative struct {
	NameLookup    *float64 `json:"namelookup"`
	Connect       *float64 `json:"connect"`
	AppConnect    *float64 `json:"appconnect"`
	StartTransfer *float64 `json:"starttransfer"`
	Total         *float64 `json:"total"`
}

// WriteProbeJSON writes the report as one indented JSON document
// ("probe.test/v1"): the target, whether every probe succeeded ("ok") and
// whether the one shown did ("last_ok"), each phase of
// the probe with its durations and attributes (durations in milliseconds,
// as "<name>_ms"; a skipped phase has null durations), the cumulative marks
// (null when they do not apply, e.g. appconnect without tls), and, when
// several probes ran, "stats": the target's entry of a probe.run/v1 report.
func WriteProbeJSON(w io.Writer, r ProbeReport) error {
	t, s := r.Target, r.Sample
	doc := probeJSON{
		Schema: ProbeSchema, OK: s.OK(), LastOK: s.OK(), Probes: r.Probes, WallMS: ms(s.Wall), Phases: []probePhase{},
		Target:       probeTargetJSON{Name: t.Name, Host: t.Host, Port: t.Port, Protocol: t.Protocol},
		CumulativeMS: cumulativeDoc(Marks(s)),
	}
	for _, p := range s.Phases {
		doc.Phases = append(doc.Phases, probePhaseDoc(p))
	}
	if r.Stats != nil {
		doc.OK = r.Stats.OK == r.Stats.Probes
		st := runTargetDoc(t, *r.Stats)
		doc.Stats = &st
	}
	return EncodeJSON(w, doc)
}

func probePhaseDoc(p sample.Phase) probePhase {
	out := probePhase{Phase: p.Name, Plugin: p.Plugin, Status: p.Status, Note: p.Note, Attributes: attributes(p.Attributes)}
	if p.Error != nil {
		out.Error = &sample.Error{Kind: p.Error.Kind, Message: plainMessage(p.Error.Kind, p.Error.Message)}
	}
	if p.Status == sample.OK || p.Status == sample.Failed {
		out.DurationMS, out.WallMS = ms(p.Duration), ms(p.Wall)
	}
	if out.Attributes == nil {
		out.Attributes = map[string]any{}
	}
	return out
}

func cumulativeDoc(marks []Mark) probeCumulative {
	var c probeCumulative
	slots := map[string]**float64{
		MarkNameLookup: &c.NameLookup, MarkConnect: &c.Connect, MarkAppConnect: &c.AppConnect,
		MarkStartTransfer: &c.StartTransfer, MarkTotal: &c.Total,
	}
	for _, m := range marks {
		*slots[m.Name] = ms(m.At)
	}
	return c
}
