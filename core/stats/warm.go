package stats

import (
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Warmth compares a target's cold first probe with the warm probes after
// it, and says what made the warm ones warm, so "warm" is never ambiguous.
type Warmth struct {
	Name   string
	Cold   *sample.Sample // the first probe; nil if none finished
	Phases []WarmPhase
	Total  WarmPhase // sum over the phases that ran
	Warm   int       // warm probes
	WarmOK int
	// What warm probes found; each counts warm probes.
	Reused  int // ran on the connection kept from the previous probe
	Resumed int // resumed a TLS session (tls.resumed)
	Cached  int // answered from the resolver's cache (dns.cached)
}

// WarmPhase is one phase cold against warm. A phase that did not run in a
// warm probe because its connection was reused took no time there.
type WarmPhase struct {
	Name        string
	Cold        time.Duration
	ColdOK      bool
	ColdSkipped bool          // not needed in the cold probe (dns for an IP literal)
	WarmP50     time.Duration // over successful warm probes, reused ones count as 0
	WarmMean    time.Duration
	WarmRan     int // warm probes in which the phase ran and succeeded
	Reused      int // warm probes in which it was not needed
}

// Saved is what warming saved: cold minus the warm median (may be negative).
func (w WarmPhase) Saved() time.Duration { return w.Cold - w.WarmP50 }

// CompareWarm builds a Warmth per target (in the order of names) from the
// samples of a run whose first round was cold.
func CompareWarm(names []string, samples []sample.Sample) []Warmth {
	byTarget := groupByTarget(samples)
	out := make([]Warmth, 0, len(names))
	for _, name := range names {
		out = append(out, compareTarget(name, byTarget[name]))
	}
	return out
}

func compareTarget(name string, samples []sample.Sample) Warmth {
	w := Warmth{Name: name}
	if len(samples) == 0 {
		return w
	}
	cold := samples[0]
	w.Cold = &cold
	warm := samples[1:]
	w.Warm = len(warm)
	for _, s := range warm {
		if !s.OK() {
			continue
		}
		w.WarmOK++
		w.count(s)
	}
	for _, p := range cold.Phases {
		w.Phases = append(w.Phases, warmPhase(p, warm))
	}
	w.Total = warmTotal(cold, warm)
	return w
}

func (w *Warmth) count(s sample.Sample) {
	if s.Reused {
		w.Reused++
	}
	for _, p := range s.Phases {
		if p.Attributes[sdk.AttrTLSResumed] == true {
			w.Resumed++
		}
		if p.Attributes[sdk.AttrDNSCached] == true {
			w.Cached++
		}
	}
}

func warmPhase(cold sample.Phase, warm []sample.Sample) WarmPhase {
	wp := WarmPhase{Name: cold.Name, Cold: cold.Duration, ColdOK: cold.Status == sample.OK, ColdSkipped: cold.Status == sample.Skipped}
	var ds []time.Duration
	for _, s := range warm {
		if !s.OK() {
			continue
		}
		for _, p := range s.Phases {
			if p.Name != cold.Name {
				continue
			}
			switch p.Status {
			case sample.OK:
				wp.WarmRan++
				ds = append(ds, p.Duration)
			case sample.Reused:
				wp.Reused++
				ds = append(ds, 0)
			}
		}
	}
	wp.WarmP50, wp.WarmMean = medianMean(ds)
	return wp
}

func warmTotal(cold sample.Sample, warm []sample.Sample) WarmPhase {
	t := WarmPhase{Name: "total", Cold: cold.Total(), ColdOK: cold.OK()}
	var ds []time.Duration
	for _, s := range warm {
		if s.OK() {
			t.WarmRan++
			ds = append(ds, s.Total())
		}
	}
	t.WarmP50, t.WarmMean = medianMean(ds)
	return t
}

func medianMean(ds []time.Duration) (p50, mean time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	sorted := append([]time.Duration(nil), ds...)
	sortDurations(sorted)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return Percentile(sorted, 50), sum / time.Duration(len(sorted))
}
