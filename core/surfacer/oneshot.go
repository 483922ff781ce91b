package surfacer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/probe-net/probe/core/sample"
)

// OneShot returns a fresh registry describing one probe, for scrape-time
// probing (/probe?target=NAME), as blackbox_exporter builds one per
// request. chain is the target's phase slots; timeout is the budget the
// probe was given.
//
// Its series are the last-probe gauges /metrics has for every (target,
// mode), with the same names, types, help and rules, labelled
// mode="cold" (a /probe probe never reuses anything) and without target
// (the scrape config's relabelling names it), plus the budget:
//
//	probe_success                            1 or 0
//	probe_duration_seconds                   host time of the whole probe
//	probe_phase_last_duration_seconds{phase} each phase that succeeded
//	probe_failed_phase_info{phase,kind}      1 for the phase that failed
//	probe_ssl_earliest_cert_expiry           Unix seconds, when TLS ran
//	probe_http_status_code                   0 when an HTTP chain got no response
//	probe_timeout_seconds                    the budget (/probe only)
func OneShot(smp sample.Sample, chain []string, timeout time.Duration) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	g := newLastProbe("mode")
	g.update([]string{Cold}, smp, chain, &lastState{})
	reg.MustRegister(g.collectors()...)
	budget := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "probe_timeout_seconds", Help: "The probe's budget."}, []string{"mode"})
	budget.WithLabelValues(Cold).Set(timeout.Seconds())
	reg.MustRegister(budget)
	return reg
}
