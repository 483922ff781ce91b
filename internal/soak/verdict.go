//go:build linux

package soak

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/probe-net/probe/internal/safetext"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// sampleLine is what the soak reads of one line of `probe run --format
// ndjson` (docs/schema/probe.sample.v1.json).
type sampleLine struct {
	Target      string  `json:"target"`
	OK          bool    `json:"ok"`
	FailedPhase *string `json:"failed_phase"`
	WallMS      float64 `json:"wall_ms"`
	Phases      []struct {
		Phase string `json:"phase"`
		Error *struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"phases"`
}

// MinShare is the share of a target's probes that must end as its kind
// says (succeed, or fail in the right phase with the right kind); the
// rest may fail otherwise while chaos stops and kills plugins.
const MinShare = 0.8

// BoundSlack is how far past its budget plus wire.TimeoutGrace (the
// README's bound for one probe) a probe's wall time may run before the
// soak calls it unbounded: the host's own work after abandoning a call,
// on a busy machine.
const BoundSlack = 500 * time.Millisecond

// Bound is the longest a probe of t may take: its budget, the grace the
// host gives a plugin, and BoundSlack.
func (t Target) Bound() time.Duration {
	budget := t.Timeout
	if budget == 0 {
		budget = DefaultTimeout
	}
	return budget + wire.TimeoutGrace + BoundSlack
}

// maxLine bounds one NDJSON line; a longer one is malformed.
const maxLine = 1 << 20

// Tally folds probe's NDJSON lines per target as they arrive, keeping
// counts only: its memory does not grow with probes.
type Tally struct {
	order  []string // target ids, in the file's order
	probes atomic.Int64

	mu        sync.Mutex
	results   map[string]*TargetResult
	others    map[[2]string]*Cause
	malformed int
	example   string // the first malformed line, cut short
}

// NewTally prepares a tally of targets' probes.
func NewTally(targets []Target) *Tally {
	t := &Tally{results: map[string]*TargetResult{}, others: map[[2]string]*Cause{}}
	for _, tg := range targets {
		t.order = append(t.order, tg.ID)
		t.results[tg.ID] = &TargetResult{Target: tg}
	}
	return t
}

// Probes is how many probes have been folded in so far.
func (t *Tally) Probes() int64 { return t.probes.Load() }

// Read folds every line of r in until EOF.
func (t *Tally) Read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if len(line) > 0 {
			t.add(line)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line, dropping what goes past maxLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) < maxLine {
			line = append(line, chunk...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, err
		}
	}
}

func (t *Tally) add(line []byte) {
	var s sampleLine
	err := json.Unmarshal(line, &s)
	t.mu.Lock()
	defer t.mu.Unlock()
	res, known := t.results[s.Target]
	if err != nil || !known || len(line) >= maxLine {
		t.malformed++
		if t.example == "" {
			t.example = safetext.Shorten(string(line), 200)
		}
		return
	}
	t.probes.Add(1)
	res.Probes++
	wall := time.Duration(s.WallMS * float64(time.Millisecond))
	res.MaxWall = max(res.MaxWall, wall)
	if wall > res.Bound() {
		res.OverBound++
	}
	phase, kind, msg := failure(s)
	switch {
	case s.OK:
		res.OK++
		if res.Healthy() {
			res.Expected++
			return
		}
	case phase == res.Phase && kind == string(res.Error):
		res.Expected++
		return
	}
	key := [2]string{phase, kind}
	if t.others[key] == nil {
		t.others[key] = &Cause{Phase: phase, Kind: kind, Example: msg}
	}
	t.others[key].Count++
}

// failure is the failed phase of s, its error kind and message ("" if s
// succeeded).
func failure(s sampleLine) (phase, kind, message string) {
	if s.FailedPhase == nil {
		return "", "", ""
	}
	for _, p := range s.Phases {
		if p.Phase == *s.FailedPhase && p.Error != nil {
			return p.Phase, p.Error.Kind, p.Error.Message
		}
	}
	return *s.FailedPhase, "", ""
}

// TargetResult is what probe reported for one target, judged.
type TargetResult struct {
	Target
	Probes    int
	OK        int
	Expected  int           // probes that ended as the kind says
	MaxWall   time.Duration // the longest probe, as the host timed it
	OverBound int           // probes that took longer than Bound
	Problems  []string
}

// Cause is one kind of failure that was not the expected one.
type Cause struct {
	Phase, Kind string
	Example     string // the first such message
	Count       int
}

// Verdict is probe's samples judged against the targets' kinds.
type Verdict struct {
	Targets  []TargetResult
	Others   []Cause  // unexpected failures over all targets, largest first
	Problems []string // about the run as a whole
}

// Verdict judges each target: every probe reported (rounds of each),
// none over its Bound, a hostile target never succeeding, and at least
// MinShare of its probes ending as its kind says.
func (t *Tally) Verdict(rounds int) Verdict {
	t.mu.Lock()
	defer t.mu.Unlock()
	var v Verdict
	for _, id := range t.order {
		r := *t.results[id]
		r.Problems = judgeTarget(r, rounds)
		v.Targets = append(v.Targets, r)
	}
	for _, c := range t.others {
		v.Others = append(v.Others, *c)
	}
	sort.Slice(v.Others, func(i, j int) bool { return v.Others[i].Count > v.Others[j].Count })
	if t.malformed > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("%d lines of probe's output are not samples of the soak's targets, the first: %s", t.malformed, safetext.Quote(t.example)))
	}
	return v
}

func judgeTarget(tr TargetResult, rounds int) []string {
	var out []string
	if tr.Probes != rounds {
		out = append(out, fmt.Sprintf("%d probes reported of %d", tr.Probes, rounds))
	}
	if tr.OverBound > 0 {
		out = append(out, fmt.Sprintf("%d probes took longer than %s (the longest %s)", tr.OverBound, tr.Bound(), tr.MaxWall.Round(time.Millisecond)))
	}
	if !tr.Healthy() && tr.OK > 0 {
		out = append(out, fmt.Sprintf("%d probes succeeded against a server that %s", tr.OK, describe(tr.Kind)))
	}
	if float64(tr.Expected) < MinShare*float64(tr.Probes) {
		out = append(out, fmt.Sprintf("only %d of %d probes %s", tr.Expected, tr.Probes, describe(tr.Kind)))
	}
	return out
}

func describe(k Kind) string {
	if k.Healthy() {
		return "succeeded"
	}
	return fmt.Sprintf("failed at %s with %s", k.Phase, k.Error)
}

// OK reports whether every target and the run passed, and no failure was
// of kind internal (a bug in probe or a plugin).
func (v Verdict) OK() bool {
	if len(v.Problems) > 0 {
		return false
	}
	for _, t := range v.Targets {
		if len(t.Problems) > 0 {
			return false
		}
	}
	for _, c := range v.Others {
		if c.Kind == string(sdk.KindInternal) {
			return false
		}
	}
	return true
}

// Write prints one line per target, the unexpected failures and the
// problems found.
func (v Verdict) Write(w io.Writer, maxOthers int) error {
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tEXPECTED\tPROBES\tOK\tAS EXPECTED\tLONGEST\tBOUND\t")
	for _, t := range v.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f%%\t%s\t%s\t%s\n", t.ID, expectation(t.Kind), t.Probes, t.OK,
			100*float64(t.Expected)/float64(max(t.Probes, 1)), t.MaxWall.Round(time.Millisecond), t.Bound(),
			strings.Join(t.Problems, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(v.Others) > 0 {
		fmt.Fprintln(w, "\nother failures (chaos, load), by phase and kind, largest first, with the first message:")
		for i, c := range v.Others {
			if i == maxOthers {
				fmt.Fprintf(w, "  ... and %d more\n", len(v.Others)-i)
				break
			}
			fmt.Fprintf(w, "  %6d  %s %s: %s\n", c.Count, safetext.Quote(c.Phase), safetext.Quote(c.Kind), safetext.Quote(c.Example))
		}
	}
	for _, p := range v.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
	return nil
}

func expectation(k Kind) string {
	if k.Healthy() {
		return "ok"
	}
	return k.Phase + " " + string(k.Error)
}
