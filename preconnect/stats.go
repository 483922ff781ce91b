package preconnect

import (
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// Statistics summarises many results: what the guide's
// getPreconnectStats returns, per phase as well as overall.
type Statistics struct {
	// Count is the number of results; OK + Failed == Count.
	Count, OK, Failed int
	// Latency summarises Result.Latency over the successful results.
	Latency Summary
	// Phases summarises each phase that ran or was skipped in some result,
	// in chain order: dns, tcp, tls, http (see Phases), whatever the order
	// of the results.
	Phases []PhaseStats
	// Errors counts each distinct failure (kind and message), most
	// frequent first.
	Errors []ErrorCount
}

// PhaseStats summarises one phase across results.
type PhaseStats struct {
	Name string // "dns", "tcp", "tls", "http"
	Summary
}

// Summary describes durations. Count = OK + Failed + Skipped; the
// durations are over the OK ones and zero when there are none.
//
// Percentiles are nearest-rank, as in the CLI: the p-th percentile of n
// sorted values is the value at rank ceil(p/100 * n), so every figure is a
// duration that was measured, and with few values P90 and P99 equal Max.
type Summary struct {
	Count, OK, Failed, Skipped    int
	Min, Mean, P50, P90, P99, Max time.Duration
}

// ErrorCount is one distinct failure and how often it happened.
type ErrorCount struct {
	Phase   string
	Kind    Kind
	Message string
	Count   int
}

// Stats summarises results with the CLI's statistics (package core/stats):
// for the same probes, the figures equal those `probe run` prints. A
// result that was never probed (a bad Target, or ctx done before it
// started) counts as failed, in Count, Latency and Errors, with no phase.
func Stats(results []Result) Statistics {
	var samples []sample.Sample
	unprobed := map[string]*ErrorCount{}
	var order []string
	for _, r := range results {
		if len(r.Phases) > 0 {
			samples = append(samples, r.sample())
			continue
		}
		e := asError(r.Err)
		key := string(e.Kind) + "\x00" + e.Message
		if unprobed[key] == nil {
			unprobed[key] = &ErrorCount{Kind: e.Kind, Message: e.Message}
			order = append(order, key)
		}
		unprobed[key].Count++
	}
	agg := stats.Aggregate([]string{""}, samples)[0]
	out := Statistics{Count: len(results), OK: agg.OK, Failed: len(results) - agg.OK, Latency: summary(agg.Total)}
	out.Latency.Count += len(results) - len(samples)
	out.Latency.Failed += len(results) - len(samples)
	for _, p := range agg.Phases {
		out.Phases = append(out.Phases, PhaseStats{Name: p.Name, Summary: summary(p.Summary)})
		for _, e := range p.Summary.Errors {
			out.Errors = append(out.Errors, ErrorCount{Phase: p.Name, Kind: e.Kind, Message: e.Message, Count: e.Count})
		}
	}
	for _, key := range order {
		out.Errors = append(out.Errors, *unprobed[key])
	}
	sort.SliceStable(out.Errors, func(i, j int) bool { return out.Errors[i].Count > out.Errors[j].Count })
	sort.SliceStable(out.Phases, func(i, j int) bool { return chainIndex(out.Phases[i].Name) < chainIndex(out.Phases[j].Name) })
	return out
}

// chainIndex is a phase's place in the longest chain (https's); other
// names come after, in the order seen.
func chainIndex(phase string) int {
	chain := Phases("https")
	if i := slices.Index(chain, phase); i >= 0 {
		return i
	}
	return len(chain)
}

func summary(s stats.Summary) Summary {
	return Summary{Count: s.Count, OK: s.OK, Failed: s.Failed, Skipped: s.Skipped,
		Min: s.Min, Mean: s.Mean, P50: s.P50, P90: s.P90, P99: s.P99, Max: s.Max}
}

// asError returns err as an *Error, classifying any other error.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if err == nil {
		return &Error{Kind: KindInternal, Message: "failed without an error"}
	}
	return &Error{Kind: sdk.Classify(err), Message: err.Error(), Err: err}
}

// sample is r as the runner emitted it.
func (r Result) sample() sample.Sample {
	s := sample.Sample{Start: r.Start}
	for _, p := range r.Phases {
		sp := sample.Phase{Name: p.Name, Status: sample.Status(p.Status), Duration: p.Duration, Wall: p.Duration}
		if p.Err != nil {
			sp.Error = &sample.Error{Kind: p.Err.Kind, Message: p.Err.Message}
		}
		s.Phases = append(s.Phases, sp)
	}
	return s
}
