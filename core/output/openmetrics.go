package output

// This file renders a run's figures as OpenMetrics text (--format
// openmetrics), for node_exporter's textfile collector: write it to
// DIR/probe.prom.$$ and rename it to DIR/probe.prom. The metric names are
// those `probe serve` uses where the meaning is the same.

import (
	"io"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/probe-net/probe/core/stats"
)

// DurationBuckets are the upper bounds, in seconds, of the duration
// histograms: 0.5 ms to 10 s, about three per decade.
var DurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// The metrics of a run. Every figure describes this run only (a textfile
// is replaced by the next run), so counts are gauges, not counters.
var (
	metricPhaseDuration = prometheus.NewDesc("probe_phase_duration_seconds",
		"Duration of a phase (its plugin's own measurement), over the run's successful runs of the phase.",
		[]string{"target", "phase"}, nil)
	metricTotalDuration = prometheus.NewDesc("probe_total_duration_seconds",
		"Sum of the phase durations of each successful probe of the run.",
		[]string{"target"}, nil)
	metricProbes = prometheus.NewDesc("probe_run_probes",
		"Probes of the target in this run, by result (ok or failed).",
		[]string{"target", "result"}, nil)
	metricFailures = prometheus.NewDesc("probe_run_failures",
		"Failed runs of a phase in this run, by error kind.",
		[]string{"target", "phase", "kind"}, nil)
	metricSuccess = prometheus.NewDesc("probe_success",
		"1 when the target's most recent probe succeeded, else 0 (as blackbox_exporter's).",
		[]string{"target"}, nil)
	metricStarted = prometheus.NewDesc("probe_run_start_timestamp_seconds",
		"When the run began, in seconds since the Unix epoch.",
		nil, nil)
)

// runCollector turns a Report into constant metrics.
type runCollector struct{ r Report }

func (c runCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{metricPhaseDuration, metricTotalDuration, metricProbes, metricFailures, metricSuccess, metricStarted} {
		ch <- d
	}
}

func (c runCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.r.Stats {
		for _, p := range st.Phases {
			if p.Summary.Ran() == 0 {
				continue // skipped or reused every time: nothing measured
			}
			ch <- histogram(metricPhaseDuration, p.Summary, st.Name, p.Name)
			for kind, n := range failuresByKind(p.Summary) {
				ch <- prometheus.MustNewConstMetric(metricFailures, prometheus.GaugeValue, float64(n), st.Name, p.Name, kind)
			}
		}
		ch <- histogram(metricTotalDuration, st.Total, st.Name)
		ch <- prometheus.MustNewConstMetric(metricProbes, prometheus.GaugeValue, float64(st.OK), st.Name, "ok")
		ch <- prometheus.MustNewConstMetric(metricProbes, prometheus.GaugeValue, float64(st.Probes-st.OK), st.Name, "failed")
		if st.Status != stats.StatusUnknown {
			ch <- prometheus.MustNewConstMetric(metricSuccess, prometheus.GaugeValue, boolValue(st.Status.Reachable()), st.Name)
		}
	}
	if !c.r.Started.IsZero() {
		ch <- prometheus.MustNewConstMetric(metricStarted, prometheus.GaugeValue, float64(c.r.Started.UnixNano())/1e9)
	}
}

// histogram counts the summary's successful durations into DurationBuckets.
func histogram(desc *prometheus.Desc, s stats.Summary, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(DurationBuckets))
	i := 0
	for _, le := range DurationBuckets {
		for i < len(s.Durations) && s.Durations[i].Seconds() <= le {
			i++
		}
		buckets[le] = uint64(i)
	}
	return prometheus.MustNewConstHistogram(desc, uint64(len(s.Durations)), s.Sum.Seconds(), buckets, labels...)
}

// failuresByKind adds up a phase's failures per error kind (a label must
// have bounded values: the kind, never the message).
func failuresByKind(s stats.Summary) map[string]int {
	out := map[string]int{}
	for _, e := range s.Errors {
		out[string(e.Kind)] += e.Count
	}
	if s.OtherErrors > 0 {
		out["other"] += s.OtherErrors
	}
	return out
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// writeRunOpenMetrics writes the run's figures in the OpenMetrics text
// format (1.0.0), ending with "# EOF". Durations are seconds.
func writeRunOpenMetrics(w io.Writer, r Report, _ Options) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(runCollector{r}); err != nil {
		return err
	}
	families, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeOpenMetrics))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return enc.(expfmt.Closer).Close()
}
