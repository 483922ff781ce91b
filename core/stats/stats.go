// Package stats aggregates samples into per-target, per-phase statistics.
//
// Percentiles use the nearest-rank method on the successful durations: the
// p-th percentile of n sorted values is the value at rank ceil(p/100 * n).
// Every reported figure is therefore a duration that was actually measured;
// with few samples p90 and p99 equal the maximum.
package stats

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Summary describes a set of durations and outcomes.
type Summary struct {
	Count   int // ok + failed + skipped + reused
	OK      int
	Failed  int
	Skipped int
	Reused  int // not run: the probe reused the connection this phase produced
	// Over successful runs only; zero when OK is 0.
	Min, Mean, P50, P90, P99, Max time.Duration
	// MeanOverhead is the mean of (host wall time - what the plugin
	// measured) over successful runs: what the plugin framework itself
	// costs. The plugin measured its Duration and any work it timed
	// outside it (see Measured).
	MeanOverhead time.Duration
	Errors       []ErrorCount
	// Warnings are failures inside phases that succeeded: what a plugin
	// reports under an attribute "<prefix>.errors" ([]string), such as an
	// AAAA query that timed out while the A query answered (dns.errors).
	Warnings []WarningCount
}

// WarningCount is one distinct warning and how often it was reported.
type WarningCount struct {
	Message string
	Count   int
}

// ErrorCount is one distinct failure and how often it happened.
type ErrorCount struct {
	Kind    sdk.ErrorKind
	Message string
	Count   int
}

// Ran is how many times the phase actually ran (ok or failed).
func (s Summary) Ran() int { return s.OK + s.Failed }

// Phase is the statistics of one phase of one target.
type Phase struct {
	Name    string
	Plugin  string
	Summary Summary
}

// Target is the statistics of one target.
type Target struct {
	Name     string
	Probes   int
	OK       int
	Phases   []Phase // in chain order
	Total    Summary // sum of phase durations, over successful probes
	LastAttr sdk.Attributes
}

// Aggregate groups samples by target (in the order of names) and phase.
func Aggregate(names []string, samples []sample.Sample) []Target {
	byTarget := groupByTarget(samples)
	out := make([]Target, 0, len(names))
	for _, name := range names {
		out = append(out, aggregateTarget(name, byTarget[name]))
	}
	return out
}

// groupByTarget splits samples by target, keeping their order.
func groupByTarget(samples []sample.Sample) map[string][]sample.Sample {
	out := map[string][]sample.Sample{}
	for _, s := range samples {
		out[s.Target] = append(out[s.Target], s)
	}
	return out
}

func aggregateTarget(name string, samples []sample.Sample) Target {
	t := Target{Name: name, Probes: len(samples)}
	var order []string
	phases := map[string]*acc{}
	plugins := map[string]string{}
	total := &acc{}
	for _, s := range samples {
		for _, p := range s.Phases {
			a, ok := phases[p.Name]
			if !ok {
				a = &acc{}
				phases[p.Name] = a
				order = append(order, p.Name)
			}
			a.add(p)
			if p.Plugin != "" {
				plugins[p.Name] = p.Plugin
			}
		}
		if s.OK() {
			t.OK++
			total.add(sample.Phase{Status: sample.OK, Duration: s.Total(), Wall: s.Wall})
		} else {
			f := s.Failure()
			total.add(sample.Phase{Status: sample.Failed, Error: f.Error})
		}
	}
	if len(samples) > 0 {
		t.LastAttr = mergeAttrs(samples[len(samples)-1])
	}
	for _, name := range order {
		t.Phases = append(t.Phases, Phase{Name: name, Plugin: plugins[name], Summary: phases[name].summary()})
	}
	t.Total = total.summary()
	return t
}

func mergeAttrs(s sample.Sample) sdk.Attributes {
	out := sdk.Attributes{}
	for _, p := range s.Phases {
		for k, v := range p.Attributes {
			out[k] = v
		}
	}
	return out
}

// acc accumulates one phase's results.
type acc struct {
	durations []time.Duration
	overhead  time.Duration
	s         Summary
	errIndex  map[string]int
	warnIndex map[string]int
}

func (a *acc) add(p sample.Phase) {
	a.s.Count++
	switch p.Status {
	case sample.OK:
		a.s.OK++
		a.durations = append(a.durations, p.Duration)
		if m := Measured(p); p.Wall > m {
			a.overhead += p.Wall - m
		}
		a.addWarnings(p.Attributes)
	case sample.Skipped:
		a.s.Skipped++
	case sample.Reused:
		a.s.Reused++
	case sample.Failed:
		a.s.Failed++
		a.addError(p.Error)
	}
}

func (a *acc) addError(e *sample.Error) {
	if e == nil {
		e = &sample.Error{Kind: sdk.KindInternal, Message: "unknown failure"}
	}
	if a.errIndex == nil {
		a.errIndex = map[string]int{}
	}
	key := string(e.Kind) + "\x00" + e.Message
	if i, ok := a.errIndex[key]; ok {
		a.s.Errors[i].Count++
		return
	}
	a.errIndex[key] = len(a.s.Errors)
	a.s.Errors = append(a.s.Errors, ErrorCount{Kind: e.Kind, Message: e.Message, Count: 1})
}

// Measured is the time a phase's plugin accounted for: its Duration plus
// work it timed outside the Duration and reported as a time.Duration
// attribute "<prefix>.transfer" — the http phase's body read (http.transfer,
// curl's transfer time), which comes after the headers that end its
// Duration. Host wall time beyond this is the framework's overhead.
func Measured(p sample.Phase) time.Duration {
	m := p.Duration
	for k, v := range p.Attributes {
		if d, ok := v.(time.Duration); ok && strings.HasSuffix(k, ".transfer") {
			m += d
		}
	}
	return m
}

// addWarnings counts the messages of every "<prefix>.errors" attribute.
func (a *acc) addWarnings(attrs sdk.Attributes) {
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		msgs, ok := attrs[k].([]string)
		if !ok || !strings.HasSuffix(k, ".errors") {
			continue
		}
		for _, m := range msgs {
			if a.warnIndex == nil {
				a.warnIndex = map[string]int{}
			}
			if i, ok := a.warnIndex[m]; ok {
				a.s.Warnings[i].Count++
				continue
			}
			a.warnIndex[m] = len(a.s.Warnings)
			a.s.Warnings = append(a.s.Warnings, WarningCount{Message: m, Count: 1})
		}
	}
}

func (a *acc) summary() Summary {
	s := a.s
	n := len(a.durations)
	if n == 0 {
		return s
	}
	d := append([]time.Duration(nil), a.durations...)
	sortDurations(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	s.Min, s.Max = d[0], d[n-1]
	s.Mean = sum / time.Duration(n)
	s.P50, s.P90, s.P99 = Percentile(d, 50), Percentile(d, 90), Percentile(d, 99)
	s.MeanOverhead = a.overhead / time.Duration(n)
	return s
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

// Percentile returns the nearest-rank p-th percentile of sorted values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}
