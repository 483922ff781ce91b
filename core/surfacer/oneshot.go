package surfacer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/probe-net/probe/core/sample"
)

// OneShot returns a fresh registry describing one probe, for scrape-time
// probing (/probe?target=NAME), as blackbox_exporter builds one per
// request: every value is a gauge of this probe alone. timeout is the budget
// the probe was given.
//
//	probe_success                      1 or 0
//	probe_duration_seconds             host time of the whole probe
//	probe_timeout_seconds              the budget
//	probe_phase_seconds{phase}         each phase that succeeded
//	probe_failed_phase_info{phase,kind} 1 for the phase that failed, if any
//	probe_ssl_earliest_cert_expiry     Unix seconds, when TLS ran
//	probe_http_status_code             when HTTP answered
func OneShot(smp sample.Sample, timeout time.Duration) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
		g.Set(v)
		reg.MustRegister(g)
	}
	success := 1.0
	if !smp.OK() {
		success = 0
	}
	gauge("probe_success", "1 if the probe succeeded, else 0.", success)
	gauge("probe_duration_seconds", "Host time the probe took, all phases and overhead.", smp.Wall.Seconds())
	gauge("probe_timeout_seconds", "The probe's budget.", timeout.Seconds())
	phases := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "probe_phase_seconds",
		Help: "Duration of each phase that succeeded, as the plugin measured it."}, []string{"phase"})
	reg.MustRegister(phases)
	for _, p := range smp.Phases {
		if p.Status == sample.OK {
			phases.WithLabelValues(p.Name).Set(p.Duration.Seconds())
		}
	}
	if f := smp.Failure(); f != nil {
		failed := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "probe_failed_phase_info",
			Help: "1 for the phase that failed, labelled with the error kind."}, []string{"phase", "kind"})
		failed.WithLabelValues(f.Name, errorKind(f)).Set(1)
		reg.MustRegister(failed)
	}
	a := attributes(smp)
	if v, ok := a.certExpiry(); ok {
		gauge("probe_ssl_earliest_cert_expiry", "Earliest NotAfter of the certificates the server presented, Unix seconds.", v)
	}
	if v, ok := a.httpStatus(); ok {
		gauge("probe_http_status_code", "HTTP status code of the response.", v)
	}
	return reg
}
