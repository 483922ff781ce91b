// Package output renders what a run produced: tables for people, JSON
// documents, NDJSON sample lines and OpenMetrics text for programs.
// Renderers only read statistics and samples; they measure and judge
// nothing (core/stats does).
//
// Each report (Report for run, StatusReport, WarmReport, PreconnectReport,
// ProbeReport for probe test, PluginsReport) renders itself: Formats lists
// the formats it has, Render writes one. A report's formats are one table
// (runFormats, statusFormats, ...): adding a format to a report is one entry
// there and the function it names. NDJSON is written while the run goes on
// (SampleWriter); the reports that offer it render nothing more at the end.
package output

import (
	"fmt"
	"io"
	"strings"
)

// Format is an output format, as --format names it.
type Format string

// Formats.
const (
	FormatTable       Format = "table"       // for people; the default
	FormatJSON        Format = "json"        // one indented document ("schema": "probe.<command>/v1")
	FormatNDJSON      Format = "ndjson"      // one probe.sample/v1 object per line, as each probe finishes
	FormatOpenMetrics Format = "openmetrics" // the run's figures, for node_exporter's textfile collector
)

// Options are how a report is rendered, beyond its format.
type Options struct {
	// Color paints status words and the waterfall with ANSI colours (on a
	// terminal, with NO_COLOR unset).
	Color bool
}

// Renderer is a report: the formats it renders (the first is the default)
// and how to write it in one of them.
type Renderer interface {
	Formats() []Format
	Render(w io.Writer, f Format, o Options) error
}

// FormatNames joins formats for help and errors: "table, json or ndjson".
func FormatNames(formats []Format) string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// formatTable maps each format a report renders to the function writing
// it, in the order Formats lists them.
type formatTable[R any] []struct {
	format Format
	write  func(w io.Writer, r R, o Options) error
}

func (t formatTable[R]) formats() []Format {
	out := make([]Format, len(t))
	for i, e := range t {
		out[i] = e.format
	}
	return out
}

func (t formatTable[R]) render(w io.Writer, f Format, r R, o Options) error {
	for _, e := range t {
		if e.format == f {
			return e.write(w, r, o)
		}
	}
	return fmt.Errorf("this report has no %q format (it has %s)", f, FormatNames(t.formats()))
}

// streamed is the end-of-run part of a format written while the run went
// on (NDJSON, by SampleWriter): nothing.
func streamed[R any](io.Writer, R, Options) error { return nil }
