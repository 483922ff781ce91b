// Package surfacer turns samples into Prometheus metrics for `probe serve`.
//
// "Surfacer" is cloudprober's name for this role: probes emit results, and a
// surfacer surfaces them to a monitoring system, here as client_golang
// collectors that a registry exposes. Data flows one way: the surfacer reads
// samples (core/sample) and knows nothing of runners, plugins or HTTP.
//
// Memory is bounded by the targets, not by probes or time: each (target,
// mode) holds a fixed set of series (histogram buckets, counters, gauges),
// and Retain drops the series of targets a reload removed. Labels are
// bounded: target, mode, phase, error kind and result; never a message or
// an address.
package surfacer

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/probe-net/probe/core/sample"
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
	phase      *prometheus.HistogramVec
	probe      *prometheus.HistogramVec
	probes     *prometheus.CounterVec
	failures   *prometheus.CounterVec
	success    *prometheus.GaugeVec
	duration   *prometheus.GaugeVec
	certExpiry *prometheus.GaugeVec
	httpStatus *prometheus.GaugeVec

	mu   sync.Mutex
	seen map[Key]bool // every (target, mode) with series
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
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"target", "mode"})
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
		success:    gauge("probe_success", "1 if the last probe succeeded, else 0 (blackbox_exporter's meaning)."),
		duration:   gauge("probe_duration_seconds", "Host time the last probe took, all phases and overhead (blackbox_exporter's meaning)."),
		certExpiry: gauge("probe_ssl_earliest_cert_expiry", "Earliest NotAfter of the certificates the server presented in the last TLS handshake, Unix seconds (blackbox_exporter's meaning)."),
		httpStatus: gauge("probe_http_status_code", "HTTP status code of the last response (blackbox_exporter's meaning)."),
		seen:       map[Key]bool{},
	}
}

func (s *Surfacer) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.phase, s.probe, s.probes, s.failures, s.success, s.duration, s.certExpiry, s.httpStatus}
}

// Describe implements prometheus.Collector.
func (s *Surfacer) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range s.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (s *Surfacer) Collect(ch chan<- prometheus.Metric) {
	for _, c := range s.collectors() {
		c.Collect(ch)
	}
}

// Observe records one probe of one target, probed in mode (Cold or Warm).
func (s *Surfacer) Observe(mode string, smp sample.Sample) {
	t := smp.Target
	s.mark(Key{t, mode})
	s.duration.WithLabelValues(t, mode).Set(smp.Wall.Seconds())
	if f := smp.Failure(); f != nil {
		s.success.WithLabelValues(t, mode).Set(0)
		s.probes.WithLabelValues(t, mode, "failure").Inc()
		s.failures.WithLabelValues(t, mode, f.Name, errorKind(f)).Inc()
	} else {
		s.success.WithLabelValues(t, mode).Set(1)
		s.probes.WithLabelValues(t, mode, "success").Inc()
		s.probe.WithLabelValues(t, mode).Observe(smp.Total().Seconds())
	}
	for _, p := range smp.Phases {
		if p.Status == sample.OK {
			s.phase.WithLabelValues(t, mode, p.Name).Observe(p.Duration.Seconds())
		}
	}
	a := attributes(smp)
	if v, ok := a.certExpiry(); ok {
		s.certExpiry.WithLabelValues(t, mode).Set(v)
	}
	if v, ok := a.httpStatus(); ok {
		s.httpStatus.WithLabelValues(t, mode).Set(v)
	}
}

// errorKind is the failure's kind, "unknown" when the phase gave none.
func errorKind(p *sample.Phase) string {
	if p.Error == nil || p.Error.Kind == "" {
		return "unknown"
	}
	return string(p.Error.Kind)
}

// Key names one (target, mode) whose series Retain keeps.
type Key struct{ Target, Mode string }

// Retain deletes the series of every (target, mode) not in keep, so that
// targets a reload removed stop being exported and stop holding memory.
func (s *Surfacer) Retain(keep []Key) {
	want := map[Key]bool{}
	for _, k := range keep {
		want[k] = true
	}
	for _, k := range s.forget(want) {
		labels := prometheus.Labels{"target": k.Target, "mode": k.Mode}
		s.phase.DeletePartialMatch(labels)
		s.probe.DeletePartialMatch(labels)
		s.probes.DeletePartialMatch(labels)
		s.failures.DeletePartialMatch(labels)
		s.success.DeletePartialMatch(labels)
		s.duration.DeletePartialMatch(labels)
		s.certExpiry.DeletePartialMatch(labels)
		s.httpStatus.DeletePartialMatch(labels)
	}
}

func (s *Surfacer) mark(k Key) {
	s.mu.Lock()
	s.seen[k] = true
	s.mu.Unlock()
}

// forget removes and returns the keys not in want.
func (s *Surfacer) forget(want map[Key]bool) []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []Key
	for k := range s.seen {
		if !want[k] {
			gone = append(gone, k)
			delete(s.seen, k)
		}
	}
	return gone
}
