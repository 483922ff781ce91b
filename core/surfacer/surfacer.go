// Package surfacer turns samples into Prometheus metrics for `probe serve`.
//
// "Surfacer" is cloudprober's name for this role: probes emit results, and a
// surfacer surfaces them to a monitoring system, here as client_golang
// collectors that a registry exposes. Data flows one way: the surfacer reads
// samples (core/sample) and knows nothing of runners, plugins or HTTP.
//
// Memory is bounded by the targets, not by probes or time: each (target,
// mode) holds a bounded set of series (histogram buckets, counters,
// gauges), and Retain drops the series of targets a reload removed. Labels
// are bounded: target, mode, phase, error kind and result; never a message
// or an address.
//
// Counters exist from the moment a (target, mode) is scheduled (Schedule):
// Prometheus' increase() and rate() see the first failure only if the
// series was there, at 0, before it (Prometheus' advice is to initialise
// the label values known in advance).
package surfacer

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Modes label how a target was probed.
const (
	Cold = "cold" // a new connection, no caches: what a first request costs
	Warm = "warm" // connection reuse, TLS resumption, DNS cache (probe warmup)
)

// Options shape the histograms.
type Options struct {
	// Buckets are the classic bucket upper bounds in seconds, ascending.
	Buckets []float64
	// NativeBucketFactor is client_golang's NativeHistogramBucketFactor
	// (> 1); each histogram also has native buckets of this growth.
	NativeBucketFactor float64
}

// nativeMaxBuckets bounds a native histogram's buckets; past it
// client_golang widens them (NativeHistogramMaxBucketNumber), so a target's
// memory stays bounded whatever its latencies do.
const nativeMaxBuckets = 160

// Surfacer holds the metrics derived from samples. It is a
// prometheus.Collector and safe for concurrent use.
type Surfacer struct {
	phase    *prometheus.HistogramVec
	probe    *prometheus.HistogramVec
	probes   *prometheus.CounterVec
	failures *prometheus.CounterVec
	last     *lastProbe

	// mu serialises Observe, Schedule, Retain and Collect, so that a
	// scrape sees each probe's series all updated or not at all.
	mu    sync.Mutex
	state map[Key]*lastState // every (target, mode) with series
}

// New makes a Surfacer whose histograms have opts' buckets.
func New(opts Options) *Surfacer {
	hist := func(name, help string, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: name, Help: help,
			Buckets:                         opts.Buckets,
			NativeHistogramBucketFactor:     opts.NativeBucketFactor,
			NativeHistogramMaxBucketNumber:  nativeMaxBuckets,
			NativeHistogramMinResetDuration: time.Hour,
		}, labels)
	}
	return &Surfacer{
		phase: hist("probe_phase_duration_seconds",
			"Duration of each phase that succeeded, as the plugin measured it.", "target", "mode", "phase"),
		probe: hist("probe_total_duration_seconds",
			"Sum of the phases' durations of each successful probe.", "target", "mode"),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "probe_probes_total",
			Help: "Probes by result (success or failure)."}, []string{"target", "mode", "result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "probe_failures_total",
			Help: "Failed probes by the phase that failed and the error kind."}, []string{"target", "mode", "phase", "kind"}),
		last:  newLastProbe("target", "mode"),
		state: map[Key]*lastState{},
	}
}

func (s *Surfacer) collectors() []prometheus.Collector {
	return append([]prometheus.Collector{s.phase, s.probe, s.probes, s.failures}, s.last.collectors()...)
}

// Describe implements prometheus.Collector.
func (s *Surfacer) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range s.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (s *Surfacer) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.collectors() {
		c.Collect(ch)
	}
}

// Key names one (target, mode).
type Key struct{ Target, Mode string }

// Scheduled is a (target, mode) about to be probed, with the phase slots
// of its chain.
type Scheduled struct {
	Key
	Phases []string
}

// likelyKinds are the failures each well-known phase slot reports most:
// Schedule creates their counters at 0. Every slot, a plugin's own
// included, also gets timeout. Other kinds (plugins may invent their own)
// start at their first failure; probe_probes_total{result="failure"},
// always created, counts every failure from the start.
var likelyKinds = map[string][]sdk.ErrorKind{
	sdk.PhaseDNS:  {sdk.KindNXDomain, sdk.KindServFail},
	sdk.PhaseTCP:  {sdk.KindRefused},
	sdk.PhaseTLS:  {sdk.KindCertificate},
	sdk.PhaseHTTP: {sdk.KindHTTPStatus, sdk.KindReset},
}

// Schedule creates, at 0, the counters of every (target, mode) in jobs
// that the surfacer does not have yet: probe_probes_total for both
// results, and probe_failures_total for each phase of the chain with
// timeout and its likelyKinds. It also records each chain, which decides
// the last-probe gauges (probe_http_status_code is 0, not absent, when a
// chain with an http slot got no response). Call it before the jobs'
// probes start; Retain drops what is no longer scheduled.
func (s *Surfacer) Schedule(jobs []Scheduled) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range jobs {
		st := s.stateOf(j.Key)
		if st.phases != nil && !slices.Equal(st.phases, j.Phases) {
			// The chain changed: what was measured on the old one is
			// another target's.
			s.deleteSeries(j.Key)
			st = s.stateOf(j.Key)
		}
		st.phases = slices.Clone(j.Phases)
		for _, result := range []string{"success", "failure"} {
			s.probes.WithLabelValues(j.Target, j.Mode, result).Add(0)
		}
		for _, ph := range j.Phases {
			for _, kind := range append([]sdk.ErrorKind{sdk.KindTimeout}, likelyKinds[ph]...) {
				s.failures.WithLabelValues(j.Target, j.Mode, ph, string(kind)).Add(0)
			}
		}
	}
}

// Observe records one probe of one target, probed in mode (Cold or Warm).
func (s *Surfacer) Observe(mode string, smp sample.Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := smp.Target
	st := s.stateOf(Key{t, mode})
	chain := st.phases
	if chain == nil { // not scheduled: the sample's phases are all we know
		chain = phaseNames(smp)
	}
	s.last.update([]string{t, mode}, smp, chain, st)
	if f := smp.Failure(); f != nil {
		s.probes.WithLabelValues(t, mode, "failure").Inc()
		s.failures.WithLabelValues(t, mode, f.Name, errorKind(f)).Inc()
	} else {
		s.probes.WithLabelValues(t, mode, "success").Inc()
		s.probe.WithLabelValues(t, mode).Observe(smp.Total().Seconds())
	}
	for _, p := range smp.Phases {
		if p.Status == sample.OK {
			s.phase.WithLabelValues(t, mode, p.Name).Observe(p.Duration.Seconds())
		}
	}
}

// errorKind is the failure's kind, "unknown" when the phase gave none.
func errorKind(p *sample.Phase) string {
	if p.Error == nil || p.Error.Kind == "" {
		return "unknown"
	}
	return string(p.Error.Kind)
}

func phaseNames(smp sample.Sample) []string {
	out := make([]string, len(smp.Phases))
	for i, p := range smp.Phases {
		out[i] = p.Name
	}
	return out
}

// Retain deletes the series of every (target, mode) not in keep, so that
// targets a reload removed stop being exported and stop holding memory.
func (s *Surfacer) Retain(keep []Key) {
	want := make(map[Key]bool, len(keep))
	for _, k := range keep {
		want[k] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.state {
		if !want[k] {
			s.deleteSeries(k)
		}
	}
}

// stateOf returns k's state, making it if k has none. Called with mu held.
func (s *Surfacer) stateOf(k Key) *lastState {
	st, ok := s.state[k]
	if !ok {
		st = &lastState{}
		s.state[k] = st
	}
	return st
}

// deleteSeries drops every series of k. Called with mu held.
func (s *Surfacer) deleteSeries(k Key) {
	labels := prometheus.Labels{"target": k.Target, "mode": k.Mode}
	s.phase.DeletePartialMatch(labels)
	s.probe.DeletePartialMatch(labels)
	s.probes.DeletePartialMatch(labels)
	s.failures.DeletePartialMatch(labels)
	s.last.delete(labels)
	delete(s.state, k)
}
