package output

// Helpers every table renderer shares: a writer that keeps the first
// error, milliseconds with the right precision, truncation, error wording.

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/internal/safetext"
	"github.com/probe-net/probe/sdk"
)

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

// describeError is "kind: message", without repeating a "kind: " the
// message already starts with (as many plugins' messages do). The message
// is escaped (safetext): it may quote what a server sent.
func describeError(kind sdk.ErrorKind, message string) string {
	if kind == "" {
		return safetext.Escape(message)
	}
	return string(kind) + ": " + safetext.Escape(plainMessage(kind, message))
}

// phaseError is "phase: kind: message", leaving the kind out when it is the
// phase's own name (a dns error in the dns phase).
func phaseError(phase string, kind sdk.ErrorKind, message string) string {
	if string(kind) == phase {
		return phase + ": " + safetext.Escape(plainMessage(kind, message))
	}
	return phase + ": " + describeError(kind, message)
}

// plainMessage is an error message as JSON documents carry it: without a
// leading "<kind>: ", since the kind has a field of its own.
func plainMessage(kind sdk.ErrorKind, message string) string {
	return sample.TrimKind(kind, message)
}

// insecureWarning is the line every renderer prints for targets whose TLS
// certificate went unverified; "" when there are none.
func insecureWarning(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "WARNING: TLS CERTIFICATES NOT VERIFIED (insecure_skip_verify) for: " + strings.Join(names, ", ") + "\n"
}

// ANSI colours of status words.
const (
	colorGreen  = "\x1b[32m"
	colorYellow = "\x1b[33m"
	colorRed    = "\x1b[31m"
	colorReset  = "\x1b[0m"
)
