package surfacer

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// lastProbe holds the gauges that describe one probe, the last of each
// (target, mode): blackbox_exporter's names where the meaning is its own.
// /metrics keeps one set for every (target, mode), labelled target and
// mode; /probe builds one per request (OneShot), labelled mode only, so
// that both endpoints use the same names, types and help for the same
// measurement.
//
// Every gauge says only what the last probe saw: blackbox_exporter builds
// its registry per probe, so a series of a step the probe did not reach is
// absent there, and a gauge kept from an earlier probe would be stale. The
// one exception is probe_http_status_code, which blackbox always exports
// for an HTTP probe, 0 when there was no response.
type lastProbe struct {
	success    *prometheus.GaugeVec
	duration   *prometheus.GaugeVec
	phase      *prometheus.GaugeVec // + phase
	failed     *prometheus.GaugeVec // + phase, kind
	certExpiry *prometheus.GaugeVec
	httpStatus *prometheus.GaugeVec
}

// Names of the last-probe gauges.
const (
	metricSuccess    = "probe_success"
	metricDuration   = "probe_duration_seconds"
	metricPhaseLast  = "probe_phase_last_duration_seconds"
	metricFailed     = "probe_failed_phase_info"
	metricCertExpiry = "probe_ssl_earliest_cert_expiry"
	metricHTTPStatus = "probe_http_status_code"
)

// newLastProbe makes the gauges with the labels that name a (target,
// mode) in front of their own.
func newLastProbe(labels ...string) *lastProbe {
	gauge := func(name, help string, more ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, append(slices.Clone(labels), more...))
	}
	return &lastProbe{
		success:  gauge(metricSuccess, "1 if the last probe succeeded, else 0 (blackbox_exporter's meaning)."),
		duration: gauge(metricDuration, "Host time the last probe took, all phases and overhead (blackbox_exporter's meaning)."),
		phase: gauge(metricPhaseLast, "Duration of each phase that ran and succeeded in the last probe, as its plugin timed it; absent for a phase that failed, was skipped, reused or not reached.",
			"phase"),
		failed: gauge(metricFailed, "1 for the phase at which the last probe failed, labelled with the error kind; absent after a success.",
			"phase", "kind"),
		certExpiry: gauge(metricCertExpiry, "Earliest NotAfter of the certificates presented in the TLS handshake of the connection the last probe used, Unix seconds; absent when it used none (blackbox_exporter's meaning)."),
		httpStatus: gauge(metricHTTPStatus, "HTTP status code of the last probe's response; 0 when it got none (blackbox_exporter's meaning)."),
	}
}

func (g *lastProbe) collectors() []prometheus.Collector {
	return []prometheus.Collector{g.success, g.duration, g.phase, g.failed, g.certExpiry, g.httpStatus}
}

// lastState is what the surfacer knows of one (target, mode): its chain,
// once scheduled, and the failure series its last probe set, which the
// next probe deletes.
type lastState struct {
	phases  []string // the chain's slots; nil until scheduled
	failure []string // phase and kind of the last failure's series, or nil
}

// update sets the gauges of the (target, mode) lv names to what smp saw
// and deletes those smp says nothing about. chain is the target's chain
// (which decides whether it speaks HTTP); st.failure is updated.
func (g *lastProbe) update(lv []string, smp sample.Sample, chain []string, st *lastState) {
	with := func(more ...string) []string { return append(slices.Clone(lv), more...) }
	g.duration.WithLabelValues(lv...).Set(smp.Wall.Seconds())
	g.success.WithLabelValues(lv...).Set(boolValue(smp.OK()))
	if st.failure != nil {
		g.failed.DeleteLabelValues(with(st.failure...)...)
		st.failure = nil
	}
	if f := smp.Failure(); f != nil {
		st.failure = []string{f.Name, errorKind(f)}
		g.failed.WithLabelValues(with(st.failure...)...).Set(1)
	}
	for _, name := range unionOf(chain, smp) {
		if p := phaseOf(smp, name); p != nil && p.Status == sample.OK {
			g.phase.WithLabelValues(with(name)...).Set(p.Duration.Seconds())
		} else {
			g.phase.DeleteLabelValues(with(name)...)
		}
	}
	a := attributes(smp)
	if v, ok := a.certExpiry(); ok && handshakeSucceeded(smp) {
		g.certExpiry.WithLabelValues(lv...).Set(v)
	} else if !usedEarlierHandshake(smp) {
		g.certExpiry.DeleteLabelValues(lv...)
	}
	if v, ok := a.httpStatus(); ok {
		g.httpStatus.WithLabelValues(lv...).Set(v)
	} else if slices.Contains(chain, sdk.PhaseHTTP) {
		g.httpStatus.WithLabelValues(lv...).Set(0)
	} else {
		g.httpStatus.DeleteLabelValues(lv...)
	}
}

// delete drops every series whose labels match labels.
func (g *lastProbe) delete(labels prometheus.Labels) {
	for _, v := range []*prometheus.GaugeVec{g.success, g.duration, g.phase, g.failed, g.certExpiry, g.httpStatus} {
		v.DeletePartialMatch(labels)
	}
}

// handshakeSucceeded reports whether the probe's TLS phase completed. A
// handshake that failed (an expired or untrusted certificate) may still
// report the certificates' expiry, but blackbox_exporter sets
// probe_ssl_earliest_cert_expiry only from a connection whose handshake
// succeeded (prober/http.go: from resp.TLS), and so does this.
func handshakeSucceeded(smp sample.Sample) bool {
	p := phaseOf(smp, sdk.PhaseTLS)
	return p != nil && p.Status == sample.OK
}

// usedEarlierHandshake reports whether the probe ran on a connection kept
// from an earlier probe whose TLS phase it did not repeat: the certificate
// expiry that handshake reported still describes the connection.
func usedEarlierHandshake(smp sample.Sample) bool {
	p := phaseOf(smp, sdk.PhaseTLS)
	return p != nil && p.Status == sample.Reused
}

func phaseOf(smp sample.Sample, name string) *sample.Phase {
	for i := range smp.Phases {
		if smp.Phases[i].Name == name {
			return &smp.Phases[i]
		}
	}
	return nil
}

// unionOf lists chain's slots and then any other phase smp has.
func unionOf(chain []string, smp sample.Sample) []string {
	out := slices.Clone(chain)
	for _, p := range smp.Phases {
		if !slices.Contains(out, p.Name) {
			out = append(out, p.Name)
		}
	}
	return out
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
