// Package stats turns samples into statistics: per target and per phase,
// counts, nearest-rank percentiles of the durations, failures grouped by
// cause, the target's status (up, degraded, down) and, for warmup, cold
// against warm. It sits between the runner, which emits samples, and
// output, which renders what this package computes.
//
// Samples fold in as they arrive (Accumulator, WarmAccumulator): what is
// kept per probe is one duration per phase and one for the whole probe,
// never the probe's attributes, so memory grows by a few durations per
// probe, or not at all with a window (Options.Window).
//
// Percentiles use the nearest-rank method on the successful durations: the
// p-th percentile of n sorted values is the value at rank ceil(p/100 * n).
// Every reported figure is therefore a duration that was actually measured;
// with few samples p90 and p99 equal the maximum.
package stats

import (
	"math"
	"slices"
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
	// Over the successful durations held (all of them, or the window's);
	// zero when there are none.
	Min, Mean, P50, P90, P99, Max time.Duration
	Sum                           time.Duration
	// Durations are the successful durations the figures above come from,
	// in ascending order (a copy).
	Durations []time.Duration
	// MeanOverhead is the mean of (host wall time - what the plugin
	// measured) over every successful run: what the plugin framework itself
	// costs. The plugin measured its Duration and any work it timed outside
	// it (see Measured).
	MeanOverhead time.Duration
	// Errors are the failures grouped by cause, in first-seen order.
	Errors []ErrorCount
	// Warnings are failures inside runs that succeeded, grouped by cause
	// as Errors are (Kind empty): what plugins report under an attribute
	// "<prefix>.errors" (sdk.AttrSuffixErrors), such as an AAAA query that
	// timed out while the A query answered (dns.errors).
	Warnings []ErrorCount
	// OtherErrors counts failures whose cause was not kept because the
	// accumulator's window limits the groups (MaxErrorGroups); 0 otherwise.
	OtherErrors int
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
	Name   string
	Probes int
	OK     int
	Phases []Phase // in chain order
	Total  Summary // sum of phase durations, over successful probes
	Status Status  // judged from the probes' rounds (see Status)
	// LastFailure is the failure of the target's most recent failed probe:
	// its last probe when down, an earlier one when degraded; nil when none
	// failed.
	LastFailure *PhaseFailure
	// Insecure is set when some probe's TLS certificate went unverified
	// (the tls plugin's insecure_skip_verify reported as tls.insecure).
	Insecure bool
	// LastAttr merges the attributes of the target's latest probe.
	LastAttr sdk.Attributes
}

// Aggregate folds samples into statistics per target, in the order of
// names; samples of other targets are ignored. It is NewAccumulator, Add
// for each sample, then Targets.
func Aggregate(names []string, samples []sample.Sample) []Target {
	a := NewAccumulator(names, Options{})
	for _, s := range samples {
		a.Add(s)
	}
	return a.Targets()
}

// InsecureNames lists the targets whose TLS certificate went unverified in
// some probe, in the order of targets. Every renderer says so loudly.
func InsecureNames(targets []Target) []string {
	var names []string
	for _, t := range targets {
		if t.Insecure {
			names = append(names, t.Name)
		}
	}
	return names
}

// Measured is the time a phase's plugin accounted for: its Duration plus
// work it timed outside the Duration and reported as a time.Duration
// attribute "<prefix>.transfer" (sdk.AttrSuffixTransfer) — the http phase's
// body read (http.transfer, curl's transfer time), which comes after the
// headers that end its Duration. Host wall time beyond this is the
// framework's overhead.
func Measured(p sample.Phase) time.Duration {
	m := p.Duration
	for k, v := range p.Attributes {
		if d, ok := v.(time.Duration); ok && strings.HasSuffix(k, sdk.AttrSuffixTransfer) {
			m += d
		}
	}
	return m
}

// Percentile returns the nearest-rank p-th percentile of sorted values:
// the value at rank ceil(p/100 * n), clamped to 1..n; 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// sortedCopy returns the values in ascending order, leaving d as it is.
func sortedCopy(d []time.Duration) []time.Duration {
	out := slices.Clone(d)
	slices.Sort(out)
	return out
}
