package config

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/internal/safetext"
)

// Bounds on what WriteDiagnostics prints, so that a file of garbage (or a
// 1 MB host name) gives a screenful, not thousands of lines.
const (
	// MaxDiagnostics is how many diagnostics are shown; the rest are
	// counted in one closing line ("and 12 more errors").
	MaxDiagnostics = 20
	// maxDetail is how many characters of a summary or detail line are shown.
	maxDetail = 500
	// snippetWidth is how many characters of a source line are shown
	// around the position a diagnostic points at.
	snippetWidth = 100
)

// writeDiagnostics renders diagnostics the way compilers do:
//
//	targets.hcl:3:14: error: Invalid protocol: "gopher" is not one of ...
//	    3 |   protocol = "gopher"
//	      |              ^^^^^^^^
//
// A diagnostic without a position is one line: "error: summary: detail".
// Text that came from the file is escaped (safetext) and shortened; after
// MaxDiagnostics, one line counts the rest.
func writeDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) error {
	var buf bytes.Buffer
	for i, d := range diags {
		if i == MaxDiagnostics {
			writeRest(&buf, diags[i:])
			break
		}
		writeDiagnostic(&buf, d, files, color)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeRest counts the diagnostics that are not shown.
func writeRest(buf *bytes.Buffer, rest hcl.Diagnostics) {
	errs := len(rest.Errs())
	noun := "problem"
	if errs == len(rest) {
		noun = "error"
	} else if errs == 0 {
		noun = "warning"
	}
	if len(rest) > 1 {
		noun += "s"
	}
	fmt.Fprintf(buf, "and %d more %s\n", len(rest), noun)
}

func writeDiagnostic(buf *bytes.Buffer, d *hcl.Diagnostic, files map[string]*hcl.File, color bool) {
	positioned := d.Subject != nil && d.Subject.Filename != "" && d.Subject.Start.Line > 0
	if positioned {
		fmt.Fprintf(buf, "%s:%d:%d: ", safetext.Escape(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)
	}
	buf.WriteString(severity(d.Severity, color))
	buf.WriteString(": ")
	buf.WriteString(shortLines(d.Summary))
	if d.Detail != "" {
		buf.WriteString(": ")
		buf.WriteString(shortLines(strings.TrimSuffix(d.Detail, ".")))
	}
	buf.WriteByte('\n')
	if positioned {
		writeSnippet(buf, *d.Subject, files[d.Subject.Filename])
	}
}

// shortLines escapes text of one or more lines and shortens each line.
func shortLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safetext.Escape(safetext.Shorten(l, maxDetail))
	}
	return strings.Join(lines, "\n")
}

func severity(s hcl.DiagnosticSeverity, color bool) string {
	word, code := "error", "31"
	if s == hcl.DiagWarning {
		word, code = "warning", "33"
	}
	if color {
		return "\x1b[1;" + code + "m" + word + "\x1b[0m"
	}
	return word
}

// writeSnippet prints the subject's first line with a caret run under it:
// at most snippetWidth characters around the subject, escaped, with the
// carets under the escaped text.
func writeSnippet(buf *bytes.Buffer, rng hcl.Range, f *hcl.File) {
	if f == nil || rng.Start.Line < 1 {
		return
	}
	lines := bytes.Split(f.Bytes, []byte("\n"))
	if rng.Start.Line > len(lines) {
		return
	}
	text := strings.ReplaceAll(string(lines[rng.Start.Line-1]), "\t", " ")
	cells := escapedCells(text)
	col := min(max(rng.Start.Column, 1), len(cells)+1) - 1 // index of the first subject cell
	width := 1
	if rng.End.Line == rng.Start.Line && rng.End.Column-1 > col {
		width = rng.End.Column - 1 - col
	}
	from := max(0, min(col-snippetWidth/4, len(cells)-snippetWidth))
	to := min(len(cells), from+snippetWidth)
	var line, marks strings.Builder
	if from > 0 {
		line.WriteString("…")
		marks.WriteString(" ")
	}
	for i := from; i < to; i++ {
		line.WriteString(cells[i])
		mark := " "
		if i >= col && i < col+width {
			mark = "^"
		}
		marks.WriteString(strings.Repeat(mark, utf8.RuneCountInString(cells[i])))
	}
	if to < len(cells) {
		line.WriteString("…")
	}
	if col >= to { // the subject is the end of the line
		marks.WriteString("^")
	}
	gutter := fmt.Sprintf("%5d | ", rng.Start.Line)
	fmt.Fprintf(buf, "%s%s\n", gutter, line.String())
	fmt.Fprintf(buf, "%s| %s\n", strings.Repeat(" ", len(gutter)-2), strings.TrimRight(marks.String(), " "))
}

// escapedCells splits a source line into its characters, each escaped
// (an invalid byte is a character of its own).
func escapedCells(s string) []string {
	var cells []string
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		cells = append(cells, safetext.Escape(s[i:i+size]))
		i += size
	}
	return cells
}
