package config

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// writeDiagnostics renders diagnostics the way compilers do:
//
//	targets.hcl:3:14: error: Invalid protocol: "gopher" is not one of ...
//	    3 |   protocol = "gopher"
//	      |              ^^^^^^^^
//
// A diagnostic without a position is one line: "error: summary: detail".
func writeDiagnostics(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) error {
	var buf bytes.Buffer
	for _, d := range diags {
		writeDiagnostic(&buf, d, files, color)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func writeDiagnostic(buf *bytes.Buffer, d *hcl.Diagnostic, files map[string]*hcl.File, color bool) {
	positioned := d.Subject != nil && d.Subject.Filename != "" && d.Subject.Start.Line > 0
	if positioned {
		fmt.Fprintf(buf, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	buf.WriteString(severity(d.Severity, color))
	buf.WriteString(": ")
	buf.WriteString(d.Summary)
	if d.Detail != "" {
		buf.WriteString(": ")
		buf.WriteString(strings.TrimSuffix(d.Detail, "."))
	}
	buf.WriteByte('\n')
	if positioned {
		writeSnippet(buf, *d.Subject, files[d.Subject.Filename])
	}
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

// writeSnippet prints the subject's first line with a caret run under it.
func writeSnippet(buf *bytes.Buffer, rng hcl.Range, f *hcl.File) {
	if f == nil || rng.Start.Line < 1 {
		return
	}
	lines := bytes.Split(f.Bytes, []byte("\n"))
	if rng.Start.Line > len(lines) {
		return
	}
	line := strings.ReplaceAll(string(lines[rng.Start.Line-1]), "\t", " ")
	col := max(rng.Start.Column, 1)
	width := 1
	if rng.End.Line == rng.Start.Line && rng.End.Column > col {
		width = rng.End.Column - col
	}
	width = max(min(width, len(line)-col+1), 1)
	gutter := fmt.Sprintf("%5d | ", rng.Start.Line)
	fmt.Fprintf(buf, "%s%s\n", gutter, line)
	fmt.Fprintf(buf, "%s| %s%s\n", strings.Repeat(" ", len(gutter)-2), strings.Repeat(" ", col-1), strings.Repeat("^", width))
}
