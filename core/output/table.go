package output

import (
	"fmt"
	"io"
	"time"

	"github.com/probe-net/probe/core/stats"
)

// WriteTable writes one block of rows per target, then the failures.
// Figures are milliseconds over successful runs.
func WriteTable(w io.Writer, r Report) error {
	tw := &tableWriter{w: w, nameWidth: nameWidth(r)}
	tw.header()
	for i, st := range r.Stats {
		tw.target(st, r.Targets[i].Protocol)
	}
	tw.printf("\ntimes in ms over successful probes; percentiles are nearest-rank\n")
	tw.failures(r)
	if r.Interrupted {
		tw.printf("\nrun interrupted: figures cover the probes that finished\n")
	}
	return tw.err
}

type tableWriter struct {
	w         io.Writer
	nameWidth int
	err       error
}

func (t *tableWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func nameWidth(r Report) int {
	width := len("TARGET")
	for _, s := range r.Stats {
		width = max(width, len(s.Name))
	}
	return min(width, 24)
}

func (t *tableWriter) header() {
	t.printf("%-*s  %-6s %7s %7s %7s %7s %7s %7s %7s\n", t.nameWidth, "TARGET", "PHASE",
		"OK/N", "MIN", "MEAN", "P50", "P90", "P99", "MAX")
}

func (t *tableWriter) target(st stats.Target, protocol string) {
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
	okn := fmt.Sprintf("%d/%d", s.OK, s.Count-s.Skipped)
	if s.Skipped == s.Count && s.Count > 0 {
		t.printf("%-*s  %-6s %7s  skipped\n", t.nameWidth, name, truncate(phase, 6), "-")
		return
	}
	if s.OK == 0 {
		t.printf("%-*s  %-6s %7s %7s\n", t.nameWidth, name, truncate(phase, 6), okn, "-")
		return
	}
	t.printf("%-*s  %-6s %7s %7s %7s %7s %7s %7s %7s\n", t.nameWidth, name, truncate(phase, 6), okn,
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
				t.printf("  %s %s: %s: %s (%d×)\n", st.Name, p.Name, e.Kind, e.Message, e.Count)
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 1 {
		return s[:n]
	}
	return s[:n-1] + "…"
}
