package output

// This file draws a waterfall of one probe's phase durations with
// curl-style cumulative marks under it (part of `probe test`'s report).

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Cumulative marks, named after curl's -w variables (time_namelookup, ...).
// Each is the time from the start of the probe, summing the phases' own
// durations, so the framework's overhead between phases is left out.
const (
	MarkNameLookup    = "namelookup"    // dns done (0 when dns was skipped)
	MarkConnect       = "connect"       // tcp connected
	MarkAppConnect    = "appconnect"    // tls handshake done
	MarkStartTransfer = "starttransfer" // first response byte: http start + http.ttfb
	MarkTotal         = "total"         // every phase that ran, failed ones included
)

// Mark is one cumulative point of a probe.
type Mark struct {
	Name string
	At   time.Duration
}

// Marks returns the cumulative marks of s in order. A mark is present only
// when its phase succeeded (or, for namelookup, was skipped); total always is.
func Marks(s sample.Sample) []Mark {
	var out []Mark
	var at time.Duration
	for _, p := range s.Phases {
		start := at
		at += p.Duration
		if p.Name == sdk.PhaseHTTP {
			if ttfb, ok := p.Attributes[sdk.AttrHTTPTTFB].(time.Duration); ok && ttfb > 0 {
				out = append(out, Mark{MarkStartTransfer, start + min(ttfb, p.Duration)})
			}
		}
		if name := markAfter(p); name != "" {
			out = append(out, Mark{name, at})
		}
	}
	return append(out, Mark{MarkTotal, at})
}

func markAfter(p sample.Phase) string {
	switch {
	case p.Name == sdk.PhaseDNS && (p.Status == sample.OK || p.Status == sample.Skipped):
		return MarkNameLookup
	case p.Status != sample.OK:
		return ""
	case p.Name == sdk.PhaseTCP:
		return MarkConnect
	case p.Name == sdk.PhaseTLS:
		return MarkAppConnect
	}
	return ""
}

// ANSI colours of the probe report.
const (
	wfCyan    = "\x1b[36m"
	wfRed     = "\x1b[31m"
	wfBoldRed = "\x1b[1;31m"
	wfDim     = "\x1b[2m"
	wfReset   = "\x1b[0m"
)

func wfPaint(code, text string, color bool) string {
	if !color || text == "" {
		return text
	}
	return code + text + wfReset
}

// --- waterfall ---

// Waterfall layout. Each row is the phase name, its duration and a bar that
// starts where the previous phase ended: a row takes
// nameWidth+wfTimeWidth+2 columns before its bar, and the bars share the
// rest of the width, the longest total spanning all of it. A failed probe
// keeps len(wfFailedTag) columns free for the tag after its last bar.
const (
	wfTimeWidth = 9 // "12345 ms"
	wfMinBars   = 10
	wfFailedTag = " failed"
	wfBar       = "█"
	wfFailedBar = "░"
)

// waterfall is the geometry of one rendering.
type waterfall struct {
	nameWidth int
	bars      int           // columns for the bars
	total     time.Duration // spans all the bar columns
}

// prefix is the columns before the bars.
func (g waterfall) prefix() int { return g.nameWidth + wfTimeWidth + 2 }

// pos maps a time from the start of the probe to a bar column, 0..bars.
func (g waterfall) pos(at time.Duration) int {
	if g.total <= 0 {
		return 0
	}
	return int((int64(at)*int64(g.bars) + int64(g.total)/2) / int64(g.total))
}

// span is the bar of a phase that runs from start to end.
func (g waterfall) span(start, end time.Duration) (int, int) {
	from, to := g.pos(start), g.pos(end)
	if to == from && end > start { // visible, however short
		to++
	}
	if to > g.bars {
		from, to = g.bars-1, g.bars
	}
	return from, to
}

func newWaterfall(s sample.Sample, width int) waterfall {
	g := waterfall{nameWidth: len("phase") + 1, total: s.Total()}
	for _, p := range s.Phases {
		g.nameWidth = max(g.nameWidth, min(len(p.Name), 12)+1)
	}
	g.bars = width - g.prefix()
	if !s.OK() {
		g.bars -= len(wfFailedTag)
	}
	g.bars = max(g.bars, wfMinBars)
	return g
}

// WriteWaterfall draws s as a waterfall in width columns (at least what
// the labels and 10 bar columns need): a scale line, one row per phase
// with its duration and a bar proportional to it, then the cumulative marks
// (see Marks), each ending at the column where its time falls, as httpstat
// does (0.5 + 0.3 + 3.2 + 1.2 ms, the first byte 1 ms into http):
//
//	phase        ms  0                                                      5.200 ms
//	dns       0.500  ██████
//	tcp       0.300        ████
//	tls       3.200            ██████████████████████████████████████
//	http      1.200                                                  ███████████████
//	                      |   |                                     |            | |
//	     namelookup:0.500ms   |                                     |            | |
//	            connect:0.800ms                                     |            | |
//	                                               appconnect:4.000ms            | |
//	                                                         starttransfer:5.000ms |
//	                                                                   total:5.200ms
//
// A skipped phase shows "skipped" and why; a failed phase a light bar and
// "failed". Bars are whole columns: a phase of any length gets at least one.
func WriteWaterfall(w io.Writer, s sample.Sample, width int, color bool) error {
	g := newWaterfall(s, width)
	tw := &tableWriter{w: w}
	right := msText(g.total) + " ms"
	tw.printf("%-*s%*s  %-*s%s\n", g.nameWidth, "phase", wfTimeWidth, "ms", max(g.bars-len(right), 2), "0", right)
	var at time.Duration
	for _, p := range s.Phases {
		tw.printf("%s\n", g.row(p, at, color))
		at += p.Duration
	}
	g.marks(tw, Marks(s))
	return tw.err
}

func (g waterfall) row(p sample.Phase, start time.Duration, color bool) string {
	label := fmt.Sprintf("%-*s", g.nameWidth, truncate(p.Name, g.nameWidth-1))
	switch p.Status {
	case sample.Skipped, sample.Reused:
		note := truncate(inParens(p.Note), g.bars)
		return strings.TrimRight(fmt.Sprintf("%s%*s  %s", label, wfTimeWidth, p.Status, wfPaint(wfDim, note, color)), " ")
	}
	from, to := g.span(start, start+p.Duration)
	bar, tag := wfPaint(wfCyan, strings.Repeat(wfBar, to-from), color), ""
	if p.Status == sample.Failed {
		bar, tag = wfPaint(wfRed, strings.Repeat(wfFailedBar, to-from), color), wfPaint(wfBoldRed, wfFailedTag, color)
	}
	return fmt.Sprintf("%s%*s  %s%s%s", label, wfTimeWidth, msText(p.Duration), strings.Repeat(" ", from), bar, tag)
}

// markColumn is the column of the bar cell in which a mark's time ends.
func (g waterfall) markColumn(at time.Duration) int {
	return g.prefix() + max(g.pos(at), 1) - 1
}

// marks writes a line of ticks, then one line per mark: its text ends at
// its tick, with the ticks of the later marks continuing to the right.
func (g waterfall) marks(tw *tableWriter, marks []Mark) {
	cols := make([]int, len(marks))
	for i, m := range marks {
		cols[i] = g.markColumn(m.At)
	}
	tw.printf("%s\n", ticks(make([]byte, 0, cols[len(cols)-1]+1), cols))
	for i, m := range marks {
		text := m.Name + ":" + msText(m.At) + "ms"
		line := []byte(strings.Repeat(" ", max(cols[i]+1-len(text), 0)) + text)
		tw.printf("%s\n", ticks(line, cols[i+1:]))
	}
}

// ticks appends a '|' at each column of cols that lies beyond line.
func ticks(line []byte, cols []int) []byte {
	for _, c := range cols {
		if c < len(line) {
			continue
		}
		line = append(line, strings.Repeat(" ", c-len(line))...)
		line = append(line, '|')
	}
	return line
}
