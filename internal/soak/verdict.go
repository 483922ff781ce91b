//go:build linux

package soak

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/probe-net/probe/sdk"
)

// runDoc is what the soak reads of `probe run --format json`
// (docs/schema/probe.run.v1.json).
type runDoc struct {
	Interrupted bool `json:"interrupted"`
	Targets     []struct {
		Name   string `json:"name"`
		Probes int    `json:"probes"`
		OK     int    `json:"ok"`
		Phases []struct {
			Phase  string     `json:"phase"`
			Errors []docError `json:"errors"`
		} `json:"phases"`
	} `json:"targets"`
	Plugins []struct {
		Phase    string `json:"phase"`
		PID      int    `json:"pid"`
		Restarts int    `json:"restarts"`
	} `json:"plugins"`
}

type docError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Cause   string `json:"cause"`
	Count   int    `json:"count"`
}

// MinShare is the share of a target's probes that must end as its kind
// says (succeed, or fail in the right phase with the right kind); the
// rest may fail otherwise while chaos stops and kills plugins.
const MinShare = 0.8

// TargetResult is what probe reported for one target, judged.
type TargetResult struct {
	Target
	Probes   int
	OK       int
	Expected int // probes that ended as the kind says
	Problems []string
}

// Cause is one group of failures that were not the expected ones.
type Cause struct {
	Phase, Kind, Cause string
	Count              int
}

// Verdict is probe's report judged against the targets' kinds.
type Verdict struct {
	Targets  []TargetResult
	Others   []Cause        // unexpected failures over all targets, largest first
	Restarts map[string]int // per phase, as probe counted them
	Problems []string       // about the run as a whole
}

// Judge reads probe's JSON report and judges each target: every probe
// counted (rounds each), a hostile target never succeeding, and at least
// MinShare of each target's probes ending as its kind says.
func Judge(r io.Reader, targets []Target, rounds int) (Verdict, error) {
	var doc runDoc
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return Verdict{}, fmt.Errorf("reading probe's JSON report: %w", err)
	}
	v := Verdict{Restarts: map[string]int{}}
	if doc.Interrupted {
		v.Problems = append(v.Problems, "probe reports the run as interrupted")
	}
	for _, p := range doc.Plugins {
		v.Restarts[p.Phase] += p.Restarts
	}
	byName := map[string]Target{}
	for _, t := range targets {
		byName[t.ID] = t
	}
	others := map[Cause]int{}
	for _, dt := range doc.Targets {
		t, ok := byName[dt.Name]
		if !ok {
			v.Problems = append(v.Problems, fmt.Sprintf("probe reports unknown target %q", dt.Name))
			continue
		}
		delete(byName, dt.Name)
		tr := TargetResult{Target: t, Probes: dt.Probes, OK: dt.OK}
		if t.Healthy() {
			tr.Expected = dt.OK
		}
		for _, ph := range dt.Phases {
			for _, e := range ph.Errors {
				if ph.Phase == t.Phase && e.Kind == string(t.Error) {
					tr.Expected += e.Count
					continue
				}
				others[Cause{Phase: ph.Phase, Kind: e.Kind, Cause: e.Cause}] += e.Count
			}
		}
		tr.Problems = judgeTarget(tr, rounds)
		v.Targets = append(v.Targets, tr)
	}
	for name := range byName {
		v.Problems = append(v.Problems, fmt.Sprintf("target %s is missing from probe's report", name))
	}
	for c, n := range others {
		c.Count = n
		v.Others = append(v.Others, c)
	}
	sort.Slice(v.Others, func(i, j int) bool { return v.Others[i].Count > v.Others[j].Count })
	return v, nil
}

func judgeTarget(tr TargetResult, rounds int) []string {
	var out []string
	if tr.Probes != rounds {
		out = append(out, fmt.Sprintf("%d probes reported, %d run", tr.Probes, rounds))
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

// OK reports whether every target and the run passed.
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
	fmt.Fprintln(tw, "TARGET\tEXPECTED\tPROBES\tOK\tAS EXPECTED\t")
	for _, t := range v.Targets {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f%%\t%s\n", t.ID, expectation(t.Kind), t.Probes, t.OK,
			100*float64(t.Expected)/float64(max(t.Probes, 1)), strings.Join(t.Problems, "; "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(v.Others) > 0 {
		fmt.Fprintln(w, "\nother failures (chaos, load), largest first:")
		for i, c := range v.Others {
			if i == maxOthers {
				fmt.Fprintf(w, "  ... and %d more causes\n", len(v.Others)-i)
				break
			}
			fmt.Fprintf(w, "  %6d  %s %s: %q\n", c.Count, c.Phase, c.Kind, c.Cause) // quoted: it came from outside
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
