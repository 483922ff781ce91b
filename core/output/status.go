package output

// This file renders the report of `probe status`: one row per target with
// its status (judged by core/stats) and the reason under a failed one, and
// the probe.status/v1 JSON document.

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// StatusSchema identifies the status document layout (docs/schema/probe.status.v1.json).
const StatusSchema = "probe.status/v1"

// StatusReport is everything the status renderers need.
type StatusReport struct {
	Targets     []sdk.Target
	Stats       []stats.Target // in the same order; each with its Status
	Interrupted bool
}

// NewStatusReport pairs targets with their statistics.
func NewStatusReport(targets []sdk.Target, st []stats.Target) StatusReport {
	return StatusReport{Targets: targets, Stats: st}
}

// statusFormats are the formats of a status report.
var statusFormats = formatTable[StatusReport]{
	{FormatTable, writeStatusTable},
	{FormatJSON, writeStatusJSON},
	{FormatNDJSON, streamed[StatusReport]},
}

// Formats lists table, json and ndjson.
func (StatusReport) Formats() []Format { return statusFormats.formats() }

// Render writes the report in format f.
func (r StatusReport) Render(w io.Writer, f Format, o Options) error {
	return statusFormats.render(w, f, r, o)
}

// Count returns how many targets have the status.
func (r StatusReport) Count(s stats.Status) int { return stats.Count(r.Stats, s) }

// Summary is the one-line tally, e.g. "3 up, 1 down"; degraded and unknown
// appear only when some target has them.
func (r StatusReport) Summary() string {
	parts := []string{fmt.Sprintf("%d up", r.Count(stats.StatusUp))}
	if n := r.Count(stats.StatusDegraded); n > 0 {
		parts = append(parts, fmt.Sprintf("%d degraded", n))
	}
	parts = append(parts, fmt.Sprintf("%d down", r.Count(stats.StatusDown)))
	if n := r.Count(stats.StatusUnknown); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unknown", n))
	}
	return strings.Join(parts, ", ")
}

// TargetAddress is "host:port/protocol", with IPv6 hosts in brackets; an
// internationalised name in Unicode, its A-label after the address
// ("bücher.example:443/https (xn--bcher-kva.example)").
func TargetAddress(t sdk.Target) string {
	host := cmp.Or(sdk.UnicodeHost(t.Host), t.Host)
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	out := host + ":" + strconv.Itoa(t.Port) + "/" + t.Protocol
	if host != t.Host {
		out += " (" + t.Host + ")"
	}
	return out
}

// failureText is "phase: kind: message".
func failureText(f *stats.PhaseFailure) string {
	return phaseError(f.Phase, f.Error.Kind, f.Error.Message)
}

// Status table layout: the fixed columns take 44 characters, leaving 36 of
// 80 for the target name and the address.
const (
	statusWidth     = len(stats.StatusDegraded)
	statusFixed     = statusWidth + 2 + 2 + 4*8
	statusLineWidth = 80
	statusMaxName   = 14
)

// writeStatusTable writes one row per target, a reason line under each
// target that failed, and the tally. o.Color paints the status words.
func writeStatusTable(w io.Writer, r StatusReport, o Options) error {
	tw := &tableWriter{w: w}
	nameW, addrW := statusWidths(r)
	tw.printf("%-*s  %-*s  %-*s %7s %7s %7s %7s\n", statusWidth, "STATUS", nameW, "TARGET", addrW, "ADDRESS",
		"OK/N", "P50", "P90", "MAX")
	for i, st := range r.Stats {
		statusRow(tw, r.Targets[i], st, nameW, addrW, o.Color)
	}
	tw.printf("\n%s\n", r.Summary())
	tw.printf("times: sum of the phases in ms over successful probes (nearest-rank)\n")
	if w := insecureWarning(stats.InsecureNames(r.Stats)); w != "" {
		tw.printf("%s", w)
	}
	if r.Interrupted {
		tw.printf("interrupted: the status covers the probes that finished\n")
	}
	return tw.err
}

func statusWidths(r StatusReport) (name, addr int) {
	name, addr = len("TARGET"), len("ADDRESS")
	for _, t := range r.Targets {
		name = max(name, len(t.Name))
		addr = max(addr, len(TargetAddress(t)))
	}
	name = min(name, statusMaxName)
	addr = max(min(addr, statusLineWidth-statusFixed-name), len("ADDRESS"))
	return name, addr
}

func statusRow(tw *tableWriter, t sdk.Target, st stats.Target, nameW, addrW int, color bool) {
	word := statusPaint(fmt.Sprintf("%-*s", statusWidth, st.Status), st.Status, color)
	total := st.Total
	okn := fmt.Sprintf("%d/%d", total.OK, total.Count)
	p50, p90, top := "-", "-", "-"
	if total.OK > 0 {
		p50, p90, top = msText(total.P50), msText(total.P90), msText(total.Max)
	}
	tw.printf("%s  %-*s  %-*s %7s %7s %7s %7s\n", word, nameW, truncate(t.Name, nameW),
		addrW, shortenAddress(TargetAddress(t), addrW), okn, p50, p90, top)
	if st.LastFailure == nil {
		return
	}
	indent := strings.Repeat(" ", statusWidth+2)
	if st.Status == stats.StatusDegraded {
		tw.printf("%searlier failure: %s\n", indent, failureText(st.LastFailure))
		return
	}
	tw.printf("%s%s\n", indent, failureText(st.LastFailure))
}

// shortenAddress fits an address into n columns by cutting the host, so the
// port and protocol stay readable.
func shortenAddress(addr string, n int) string {
	if len(addr) <= n {
		return addr
	}
	i := strings.LastIndex(addr, ":")
	if i < 0 || len(addr)-i+2 > n {
		return truncate(addr, n)
	}
	tail := addr[i:]
	return addr[:n-len(tail)-1] + "…" + tail
}

func statusPaint(text string, s stats.Status, color bool) string {
	if !color {
		return text
	}
	switch s {
	case stats.StatusUp:
		return colorGreen + text + colorReset
	case stats.StatusDegraded:
		return colorYellow + text + colorReset
	case stats.StatusDown:
		return colorRed + text + colorReset
	}
	return text
}

type statusJSON struct {
	Schema      string             `json:"schema"`
	Interrupted bool               `json:"interrupted,omitempty"`
	Targets     []statusTargetJSON `json:"targets"`
	Up          int                `json:"up"`
	Degraded    int                `json:"degraded"`
	Down        int                `json:"down"`
	Unknown     int                `json:"unknown"`
}

type statusTargetJSON struct {
	Name      string       `json:"name"`
	Host      string       `json:"host"`
	HostU     string       `json:"host_unicode,omitempty"`
	Port      int          `json:"port"`
	Protocol  string       `json:"protocol"`
	Status    stats.Status `json:"status"`
	Probes    int          `json:"probes"`
	OK        int          `json:"ok"`
	LastError *jsonFailure `json:"last_error"`
	Total     jsonSummary  `json:"total"`
}

// writeStatusJSON writes the report as one indented JSON document
// (probe.status/v1). The counts up, degraded, down and unknown do not
// overlap and add up to the number of targets.
func writeStatusJSON(w io.Writer, r StatusReport, _ Options) error {
	doc := statusJSON{
		Schema: StatusSchema, Interrupted: r.Interrupted, Targets: []statusTargetJSON{},
		Up: r.Count(stats.StatusUp), Degraded: r.Count(stats.StatusDegraded),
		Down: r.Count(stats.StatusDown), Unknown: r.Count(stats.StatusUnknown),
	}
	for i, st := range r.Stats {
		t := r.Targets[i]
		jt := statusTargetJSON{
			Name: t.Name, Host: t.Host, HostU: sdk.UnicodeHost(t.Host), Port: t.Port, Protocol: t.Protocol,
			Status: st.Status, Probes: st.Probes, OK: st.OK, Total: summary(st.Total),
		}
		if f := st.LastFailure; f != nil {
			jt.LastError = failureDoc(f.Phase, f.Error.Kind, f.Error.Message)
		}
		doc.Targets = append(doc.Targets, jt)
	}
	return EncodeJSON(w, doc)
}
