package safetext

import (
	"io"
	"strings"
)

// Writer escapes what is written to it as EscapeLines does, except for
// SGR sequences (ESC [ digits ; m), which set colours and are passed
// through: the rendering edge of a stream meant for people, where probe's
// own colours mix with text from outside. An SGR sequence can only change
// colours, never move the cursor, retitle the window or touch the
// clipboard; values from outside are escaped with Escape before they are
// formatted, which turns their ESC into text, so the sequences that reach
// a Writer are probe's own.
//
// Each Write is escaped on its own: a sequence or a UTF-8 character split
// across two writes is escaped, not joined. fmt and text/tabwriter write
// whole strings, so probe's output never splits one.
type Writer struct {
	w io.Writer
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Unwrap returns the writer underneath, for callers that must know whether
// it is a terminal.
func (w *Writer) Unwrap() io.Writer { return w.w }

// Write escapes p and writes the result. It reports len(p) on success, as
// io.Writer requires, though more bytes may have been written.
func (w *Writer) Write(p []byte) (int, error) {
	if isSafe(string(p), true) {
		return w.w.Write(p)
	}
	if _, err := io.WriteString(w.w, escapeStream(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// escapeStream is EscapeLines that keeps SGR sequences.
func escapeStream(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for s != "" {
		i := strings.IndexByte(s, 0x1b)
		if i < 0 {
			appendEscaped(&b, s, true)
			break
		}
		appendEscaped(&b, s[:i], true)
		s = s[i:]
		if n := sgrLen(s); n > 0 {
			b.WriteString(s[:n])
			s = s[n:]
			continue
		}
		writeRuneEscape(&b, 0x1b)
		s = s[1:]
	}
	return b.String()
}

// sgrLen returns the length of the SGR sequence s starts with (ESC [, then
// parameters of digits, ';' and ':', then 'm'), or 0.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s) && i < 64; i++ {
		switch c := s[i]; {
		case c == 'm':
			return i + 1
		case (c < '0' || c > '9') && c != ';' && c != ':':
			return 0
		}
	}
	return 0
}
