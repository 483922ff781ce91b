package output

// This file renders the report of `probe test`: one probe of one target in
// detail (what each phase reported), its waterfall (waterfall.go), and the
// probe.test/v1 JSON document.

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/internal/safetext"
	"github.com/probe-net/probe/sdk"
)

// ProbeSchema identifies the probe test document layout (docs/schema/probe.test.v1.json).
const ProbeSchema = "probe.test/v1"

// ProbeReport is one probe of one target, shown in detail, and when several
// ran, the statistics over all of them.
type ProbeReport struct {
	Target sdk.Target
	Sample sample.Sample // the probe shown in detail (the last one)
	Probes int           // how many probes ran; Sample is the last
	Stats  *stats.Target // statistics over all probes; nil for a single probe
}

// probeFormats are the formats of a probe test report.
var probeFormats = formatTable[ProbeReport]{
	{FormatTable, writeProbe},
	{FormatJSON, writeProbeJSON},
	{FormatNDJSON, streamed[ProbeReport]},
}

// Formats lists table, json and ndjson.
func (ProbeReport) Formats() []Format { return probeFormats.formats() }

// Render writes the report in format f.
func (r ProbeReport) Render(w io.Writer, f Format, o Options) error {
	return probeFormats.render(w, f, r, o)
}

// ProbeWidth is the width the table lays the waterfall out in.
const ProbeWidth = 80

// writeProbe writes a header, each phase's details, the waterfall and, if
// the probe failed, the phase and cause; then, when several probes ran, the
// run table over all of them. o.Color adds ANSI colours.
func writeProbe(w io.Writer, r ProbeReport, o Options) error {
	tw := &tableWriter{w: w}
	t := r.Target
	host := cmp.Or(sdk.UnicodeHost(t.Host), t.Host)
	tw.printf("probe test %s %s%s\n", net.JoinHostPort(host, strconv.Itoa(t.Port)), t.Protocol, aLabelNote(host, t.Host))
	if r.Probes > 1 {
		tw.printf("details of the last of %d probes\n", r.Probes)
	}
	if skippedVerification(r.Sample) {
		tw.printf("%s\n", wfPaint(wfBoldRed, "WARNING: TLS VERIFICATION SKIPPED (--insecure): the certificate was not checked", o.Color))
	}
	tw.printf("\n")
	if tw.err == nil {
		tw.err = WriteDetails(w, r.Sample, o.Color)
	}
	tw.printf("\n")
	if tw.err == nil {
		tw.err = WriteWaterfall(w, r.Sample, ProbeWidth, o.Color)
	}
	if f := r.Sample.Failure(); f != nil && f.Error != nil {
		tw.printf("\n%s\n", wfPaint(wfBoldRed, "FAILED at "+phaseError(f.Name, f.Error.Kind, f.Error.Message), o.Color))
	}
	if r.Stats == nil || tw.err != nil {
		return tw.err
	}
	tw.printf("\nall %d probes:\n", r.Probes)
	if tw.err != nil {
		return tw.err
	}
	st := *r.Stats
	st.Insecure = false // the header has said so already
	return writeRunTable(w, NewReport([]sdk.Target{t}, []stats.Target{st}), o)
}

// aLabelNote is " (A-label)" when a host shown in Unicode was probed by its
// A-label, else "".
func aLabelNote(shown, host string) string {
	if shown == host {
		return ""
	}
	return " (" + host + ")"
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

// The value is escaped (safetext): names, certificate fields and headers
// come from servers.
func detailText(v any, sep string) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []string:
		return safetext.Escape(strings.Join(v, sep))
	case time.Duration:
		return msText(v) + " ms"
	case string:
		return safetext.Escape(v)
	}
	return safetext.Escape(fmt.Sprint(v))
}

var phaseDetails = map[string][]detailField{
	sdk.PhaseDNS: {
		{"addresses", attrField(sdk.AttrDNSAnswers, ", ")},
		{"server", detailDNSServer},
		{"rcode", attrField(sdk.AttrDNSRcode, "")},
		{"cname", attrField(sdk.AttrDNSCNAME, " → ")},
		{"bootstrap", detailDNSBootstrap},
		{"source", detailDNSSource},
		{"queries", attrField(sdk.AttrDNSQueries, "")},
		{"warning", attrField(sdk.AttrDNSErrors, "; ")},
		{"connect ready", detailConnectReady},
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
		{"chain expiry", detailChainExpiry},
	},
	sdk.PhaseHTTP: {
		{"status", detailHTTPStatus},
		{"protocol", attrField(sdk.AttrHTTPProtocol, "")},
		{"request", attrField(sdk.AttrHTTPMethod, "")},
		{"server", attrField(sdk.AttrHTTPServer, "")},
		{"content-type", attrField(sdk.AttrHTTPContentType, "")},
		{"location", attrField(sdk.AttrHTTPLocation, "")},
		{"first byte", detailHTTPFirstByte},
		{"transfer", detailHTTPTransfer},
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

// detailDNSBootstrap says how a DoH server's own name was resolved; the
// system resolver is called out, since its lookup is in the dns time.
func detailDNSBootstrap(a map[string]any) string {
	b := detailText(a[sdk.AttrDNSBootstrap], "")
	if b == "system resolver" {
		return b + " (looked up the DoH server's name, inside the dns time)"
	}
	return b
}

// detailConnectReady is when an RFC 8305 client would have started
// connecting, reported when a late or missing answer held the phase up.
func detailConnectReady(a map[string]any) string {
	if d, ok := a[sdk.AttrDNSConnectReady].(time.Duration); ok {
		return msText(d) + " ms (RFC 8305 §3: an application with Happy Eyeballs would connect here)"
	}
	return ""
}

func detailTLSExpiry(a map[string]any) string {
	return expiryText(a, sdk.AttrTLSPeerNotAfter, sdk.AttrTLSPeerDaysLeft, sdk.AttrTLSPeerExpired)
}

// detailChainExpiry names the certificate of the chain that expires first,
// when it is not the leaf.
func detailChainExpiry(a map[string]any) string {
	subject := detailText(a[sdk.AttrTLSChainSubject], "")
	if subject == "" || (subject == detailText(a[sdk.AttrTLSPeerSubject], "") && a[sdk.AttrTLSChainNotAfter] == a[sdk.AttrTLSPeerNotAfter]) {
		return ""
	}
	return expiryText(a, sdk.AttrTLSChainNotAfter, sdk.AttrTLSChainDaysLeft, sdk.AttrTLSChainExpired) + " " + subject
}

// expiryText is "<not_after> (N days left)" or "(EXPIRED N days ago)" from
// the tls plugin's expiry attributes.
func expiryText(a map[string]any, notAfterKey, daysKey, expiredKey string) string {
	at := detailText(a[notAfterKey], "")
	days, ok := a[daysKey].(int64)
	if at == "" || !ok {
		return at
	}
	expired, _ := a[expiredKey].(bool)
	switch {
	case days < 0:
		return fmt.Sprintf("%s (EXPIRED %s ago)", at, plural(-days, "day"))
	case expired:
		return fmt.Sprintf("%s (EXPIRED less than a day ago)", at)
	}
	return fmt.Sprintf("%s (%s left)", at, plural(days, "day"))
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// detailHTTPFirstByte is the first response byte, as curl's starttransfer
// counts it: an interim response's (103 Early Hints) when one came first,
// in which case the final response's first byte follows.
func detailHTTPFirstByte(a map[string]any) string {
	out := detailText(a[sdk.AttrHTTPTTFB], "")
	interim := detailText(a[sdk.AttrHTTPInterim], ", ")
	if out == "" || interim == "" {
		return out
	}
	out += " (" + interim + ")"
	if final := detailText(a[sdk.AttrHTTPFinalTTFB], ""); final != "" {
		out += "; final response " + final
	}
	return out
}

// detailHTTPTransfer is the body read of a GET: its time (curl's transfer,
// outside the http phase's time), the bytes read and whether it ended.
func detailHTTPTransfer(a map[string]any) string {
	d, ok := a[sdk.AttrHTTPTransfer].(time.Duration)
	if !ok {
		return ""
	}
	out := fmt.Sprintf("%s ms, %s bytes", msText(d), detailText(a[sdk.AttrHTTPBodyBytes], ""))
	if complete, ok := a[sdk.AttrHTTPBodyComplete].(bool); ok && !complete {
		out += ", incomplete"
		if why := detailText(a[sdk.AttrHTTPBodyError], ""); why != "" {
			out += ": " + why
		}
	}
	return out + " (body read, not in the phase's time)"
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
		if f.label == "verify" || f.label == "warning" {
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
	HostU    string `json:"host_unicode,omitempty"`
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

// writeProbeJSON writes the report as one indented JSON document
// (probe.test/v1): the target, whether every probe succeeded ("ok") and
// whether the one shown did ("last_ok"), each phase of
// the probe with its durations and attributes (durations in milliseconds,
// as "<name>_ms"; a skipped phase has null durations), the cumulative marks
// (null when they do not apply, e.g. appconnect without tls), and, when
// several probes ran, "stats": the target's entry of a probe.run/v1 report.
func writeProbeJSON(w io.Writer, r ProbeReport, _ Options) error {
	t, s := r.Target, r.Sample
	doc := probeJSON{
		Schema: ProbeSchema, OK: s.OK(), LastOK: s.OK(), Probes: r.Probes, WallMS: ms(s.Wall), Phases: []probePhase{},
		Target:       probeTargetJSON{Name: t.Name, Host: t.Host, HostU: sdk.UnicodeHost(t.Host), Port: t.Port, Protocol: t.Protocol},
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
