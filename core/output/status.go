package output

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// StatusSchema identifies the status document layout.
const StatusSchema = "probe.status/v1"

// TargetStatus is the connectivity of one target, judged from its probes.
type TargetStatus string

// Statuses. A target is reachable when its most recent probe succeeded:
// up if every probe did, degraded if an earlier one failed. It is down when
// its most recent probe failed, and unknown when no probe of it finished
// (the run was interrupted first).
const (
	StatusUp       TargetStatus = "up"
	StatusDegraded TargetStatus = "degraded"
	StatusDown     TargetStatus = "down"
	StatusUnknown  TargetStatus = "unknown"
)

// Reachable reports whether the target's most recent probe succeeded.
func (s TargetStatus) Reachable() bool { return s == StatusUp || s == StatusDegraded }

// PhaseFailure is a failed phase of a probe: where and why.
type PhaseFailure struct {
	Phase string
	Error sample.Error
}

func (f PhaseFailure) String() string {
	return phaseError(f.Phase, f.Error.Kind, f.Error.Message)
}

// TargetState is what status knows about one target.
type TargetState struct {
	Target plan.Target
	Stats  stats.Target
	Status TargetStatus
	// LastFailure is the failure of the target's most recent failed probe:
	// its last probe when down, an earlier one when degraded; nil when none
	// failed.
	LastFailure *PhaseFailure
}

// StatusReport is everything the status renderers need.
type StatusReport struct {
	Targets     []TargetState
	Interrupted bool
	Insecure    []string // targets whose TLS certificate went unverified
}

// NewStatusReport judges each target from its samples, in any order.
// Probes cut short by an interruption (kind canceled) say nothing about the
// target and are left out.
func NewStatusReport(targets []plan.Target, samples []sample.Sample) StatusReport {
	samples = slices.DeleteFunc(slices.Clone(samples), canceled)
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	st := stats.Aggregate(names, samples)
	r := StatusReport{Targets: make([]TargetState, len(targets)), Insecure: InsecureTargets(samples)}
	for i, t := range targets {
		r.Targets[i] = judgeTarget(t, st[i], samples)
	}
	return r
}

// judgeTarget finds the target's latest probe and latest failure.
func judgeTarget(t plan.Target, st stats.Target, samples []sample.Sample) TargetState {
	state := TargetState{Target: t, Stats: st, Status: StatusUnknown}
	lastRound, lastFailedRound := -1, -1
	for _, s := range samples {
		if s.Target != t.Name {
			continue
		}
		f := s.Failure()
		if s.Round > lastRound {
			lastRound = s.Round
			state.Status = StatusDown
			if f == nil {
				state.Status = StatusUp
			}
		}
		if f != nil && s.Round > lastFailedRound {
			lastFailedRound = s.Round
			state.LastFailure = statusFailureOf(f)
		}
	}
	if state.Status == StatusUp && state.LastFailure != nil {
		state.Status = StatusDegraded
	}
	return state
}

func canceled(s sample.Sample) bool {
	f := s.Failure()
	return f != nil && f.Error != nil && f.Error.Kind == sdk.KindCanceled
}

func statusFailureOf(p *sample.Phase) *PhaseFailure {
	f := &PhaseFailure{Phase: p.Name, Error: sample.Error{Kind: sdk.KindInternal, Message: "unknown failure"}}
	if p.Error != nil {
		f.Error = *p.Error
	}
	return f
}

// Count returns how many targets have the status.
func (r StatusReport) Count(s TargetStatus) int {
	n := 0
	for _, t := range r.Targets {
		if t.Status == s {
			n++
		}
	}
	return n
}

// AllReachable reports whether every target's most recent probe succeeded.
func (r StatusReport) AllReachable() bool {
	for _, t := range r.Targets {
		if !t.Status.Reachable() {
			return false
		}
	}
	return true
}

// Summary is the one-line tally, e.g. "3 up, 1 down"; degraded and unknown
// appear only when some target has them.
func (r StatusReport) Summary() string {
	parts := []string{fmt.Sprintf("%d up", r.Count(StatusUp))}
	if n := r.Count(StatusDegraded); n > 0 {
		parts = append(parts, fmt.Sprintf("%d degraded", n))
	}
	parts = append(parts, fmt.Sprintf("%d down", r.Count(StatusDown)))
	if n := r.Count(StatusUnknown); n > 0 {
		parts = append(parts, fmt.Sprintf("%d unknown", n))
	}
	return strings.Join(parts, ", ")
}

// TargetAddress is "host:port/protocol", with IPv6 hosts in brackets and
// an internationalised name as written, its A-label after it in parentheses.
func TargetAddress(t plan.Target) string {
	host := t.WrittenHost()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	out := host + ":" + strconv.Itoa(t.Port) + "/" + t.Protocol
	if a := hostASCII(t); a != "" {
		out += " (" + a + ")"
	}
	return out
}

// Status table layout: the fixed columns take 44 characters, leaving 36 of
// 80 for the target name and the address.
const (
	statusWidth     = len(StatusDegraded)
	statusFixed     = statusWidth + 2 + 2 + 4*8
	statusLineWidth = 80
	statusMaxName   = 14
)

// WriteStatusTable writes one row per target, a reason line under each
// target that failed, and the tally. color paints the status words.
func WriteStatusTable(w io.Writer, r StatusReport, color bool) error {
	tw := &tableWriter{w: w}
	nameW, addrW := statusWidths(r)
	tw.printf("%-*s  %-*s  %-*s %7s %7s %7s %7s\n", statusWidth, "STATUS", nameW, "TARGET", addrW, "ADDRESS",
		"OK/N", "P50", "P90", "MAX")
	for _, t := range r.Targets {
		statusRow(tw, t, nameW, addrW, color)
	}
	tw.printf("\n%s\n", r.Summary())
	tw.printf("times: sum of the phases in ms over successful probes (nearest-rank)\n")
	if w := insecureWarning(r.Insecure); w != "" {
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
		name = max(name, len(t.Target.Name))
		addr = max(addr, len(TargetAddress(t.Target)))
	}
	name = min(name, statusMaxName)
	addr = max(min(addr, statusLineWidth-statusFixed-name), len("ADDRESS"))
	return name, addr
}

func statusRow(tw *tableWriter, t TargetState, nameW, addrW int, color bool) {
	word := statusPaint(fmt.Sprintf("%-*s", statusWidth, t.Status), t.Status, color)
	total := t.Stats.Total
	okn := fmt.Sprintf("%d/%d", total.OK, total.Count)
	p50, p90, top := "-", "-", "-"
	if total.OK > 0 {
		p50, p90, top = msText(total.P50), msText(total.P90), msText(total.Max)
	}
	tw.printf("%s  %-*s  %-*s %7s %7s %7s %7s\n", word, nameW, truncate(t.Target.Name, nameW),
		addrW, shortenAddress(TargetAddress(t.Target), addrW), okn, p50, p90, top)
	if t.LastFailure == nil {
		return
	}
	indent := strings.Repeat(" ", statusWidth+2)
	if t.Status == StatusDegraded {
		tw.printf("%searlier failure: %s\n", indent, t.LastFailure)
		return
	}
	tw.printf("%s%s\n", indent, t.LastFailure)
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

// ANSI colours for the status words.
const (
	statusGreen  = "\x1b[32m"
	statusYellow = "\x1b[33m"
	statusRed    = "\x1b[31m"
	statusReset  = "\x1b[0m"
)

func statusPaint(text string, s TargetStatus, color bool) string {
	if !color {
		return text
	}
	switch s {
	case StatusUp:
		return statusGreen + text + statusReset
	case StatusDegraded:
		return statusYellow + text + statusReset
	case StatusDown:
		return statusRed + text + statusReset
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
	Name      string             `json:"name"`
	Host      string             `json:"host"`
	HostASCII string             `json:"host_ascii,omitempty"`
	Port      int                `json:"port"`
	Protocol  string             `json:"protocol"`
	Status    TargetStatus       `json:"status"`
	Probes    int                `json:"probes"`
	OK        int                `json:"ok"`
	LastError *statusFailureJSON `json:"last_error"`
	Total     jsonSummary        `json:"total"`
}

type statusFailureJSON struct {
	Phase   string `json:"phase"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// WriteStatusJSON writes the report as one indented JSON document
// ("probe.status/v1"). The counts up, degraded, down and unknown do not
// overlap and add up to the number of targets.
func WriteStatusJSON(w io.Writer, r StatusReport) error {
	doc := statusJSON{
		Schema: StatusSchema, Interrupted: r.Interrupted, Targets: []statusTargetJSON{},
		Up: r.Count(StatusUp), Degraded: r.Count(StatusDegraded), Down: r.Count(StatusDown), Unknown: r.Count(StatusUnknown),
	}
	for _, t := range r.Targets {
		jt := statusTargetJSON{
			Name: t.Target.Name, Host: t.Target.WrittenHost(), HostASCII: hostASCII(t.Target), Port: t.Target.Port, Protocol: t.Target.Protocol,
			Status: t.Status, Probes: t.Stats.Probes, OK: t.Stats.OK, Total: summary(t.Stats.Total),
		}
		if f := t.LastFailure; f != nil {
			jt.LastError = &statusFailureJSON{Phase: f.Phase, Kind: string(f.Error.Kind), Message: plainMessage(f.Error.Kind, f.Error.Message)}
		}
		doc.Targets = append(doc.Targets, jt)
	}
	return EncodeJSON(w, doc)
}
