package output

import (
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// WriteTable writes one block of rows per target, then the failures.
// Figures are milliseconds over successful runs.
func WriteTable(w io.Writer, r Report) error {
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
	tw.failures(r)
	tw.warnings(r)
	tw.insecure(r)
	if r.Interrupted {
		tw.printf("\nrun interrupted: figures cover the probes that finished\n")
	}
	return tw.err
}

type tableWriter struct {
	w          io.Writer
	nameWidth  int
	phaseWidth int
	err        error
}

func (t *tableWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// columnWidths sizes the TARGET and PHASE columns to their longest entry,
// within limits that keep a row inside 80 columns.
func columnWidths(targets, phases []string) (name, phase int) {
	name, phase = len("TARGET"), len("total")
	for _, t := range targets {
		name = max(name, utf8.RuneCountInString(t))
	}
	for _, p := range phases {
		phase = max(phase, utf8.RuneCountInString(p))
	}
	return min(name, 24), min(phase, 12)
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

func (t *tableWriter) failures(r Report) {
	first := true
	for _, st := range r.Stats {
		for _, p := range st.Phases {
			for _, e := range p.Summary.Errors {
				if first {
					t.printf("\nfailures:\n")
					first = false
				}
				t.printf("  %s %s (%d×)\n", st.Name, phaseError(p.Name, e.Kind, e.Message), e.Count)
			}
		}
	}
}

// warnings lists what failed inside phases that succeeded, such as an AAAA
// query that timed out while A answered.
func (t *tableWriter) warnings(r Report) {
	first := true
	for _, st := range r.Stats {
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

// msText prints a duration in milliseconds with precision that suits loopback
// and WAN figures alike.
func msText(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.3f", v)
	case v < 1000:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

// truncate shortens s to n characters (not bytes), marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:max(n, 0)])
	}
	return string(r[:n-1]) + "…"
}

// insecure warns about every target whose TLS certificate was not checked.
func (t *tableWriter) insecure(r Report) {
	if w := insecureWarning(r.Insecure); w != "" {
		t.printf("\n%s", w)
	}
}

// describeError is "kind: message", without repeating a "kind: " the
// message already starts with (as many plugins' messages do).
func describeError(kind sdk.ErrorKind, message string) string {
	if kind == "" {
		return message
	}
	return string(kind) + ": " + plainMessage(kind, message)
}

// phaseError is "phase: kind: message", leaving the kind out when it is the
// phase's own name (a dns error in the dns phase).
func phaseError(phase string, kind sdk.ErrorKind, message string) string {
	if string(kind) == phase {
		return phase + ": " + plainMessage(kind, message)
	}
	return phase + ": " + describeError(kind, message)
}
