package stats

import (
	"strings"
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
	// What warm probes found; each counts successful warm probes.
	Reused  int // ran on the connection kept from the previous probe
	Resumed int // resumed a TLS session (tls.resumed)
	Cached  int // answered from the resolver's cache (dns.cached)
	// NotReusable are the reasons probes (cold or warm) gave for leaving a
	// connection the next probe could not reuse, grouped as errors are:
	// attributes "<prefix>.not_reusable" (sdk.AttrSuffixNotReusable), such
	// as http.not_reusable.
	NotReusable []ErrorCount
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
// samples of a run whose first round was cold: NewWarmAccumulator, Add for
// each sample, then Warmth.
func CompareWarm(names []string, samples []sample.Sample) []Warmth {
	a := NewWarmAccumulator(names)
	for _, s := range samples {
		a.Add(s)
	}
	return a.Warmth()
}

// WarmAccumulator folds the samples of a warmup run as they arrive: each
// target's first probe is cold and kept whole; of the warm ones after it,
// only the successful ones' phase durations are kept. Add and Warmth may be
// called from different goroutines.
type WarmAccumulator struct {
	all *perTarget[*warmAcc]
}

// NewWarmAccumulator prepares the comparison for the named targets.
func NewWarmAccumulator(names []string) *WarmAccumulator {
	return &WarmAccumulator{all: newPerTarget(names, func(n string) *warmAcc {
		return &warmAcc{w: Warmth{Name: n}, phases: map[string]*warmDurations{}}
	})}
}

// Add folds one finished probe in; samples of other targets and probes cut
// short by an interruption (sample.Canceled) are ignored.
func (a *WarmAccumulator) Add(s sample.Sample) { a.all.add(s) }

// Warmth returns the comparison so far, one per named target.
func (a *WarmAccumulator) Warmth() []Warmth {
	return readPerTarget(a.all, (*warmAcc).result)
}

// warmAcc folds one target's probes.
type warmAcc struct {
	w           Warmth // counts; Cold once the first probe arrived
	phases      map[string]*warmDurations
	total       warmDurations
	notReusable errorGroups
}

// warmDurations are one phase's successful warm durations (0 when reused).
type warmDurations struct {
	ran, reused int
	d           []time.Duration
}

func (t *warmAcc) add(s sample.Sample) {
	t.noteNotReusable(s)
	if t.w.Cold == nil {
		cold := s
		t.w.Cold = &cold
		return
	}
	t.w.Warm++
	if !s.OK() {
		return
	}
	t.w.WarmOK++
	t.countWarm(s)
	for _, p := range s.Phases {
		t.phase(p.Name).add(p)
	}
	t.total.ran++
	t.total.d = append(t.total.d, s.Total())
}

func (t *warmAcc) countWarm(s sample.Sample) {
	if s.Reused {
		t.w.Reused++
	}
	for _, p := range s.Phases {
		if p.Attributes[sdk.AttrTLSResumed] == true {
			t.w.Resumed++
		}
		if p.Attributes[sdk.AttrDNSCached] == true {
			t.w.Cached++
		}
	}
}

// noteNotReusable groups the reasons a probe gives for a connection that
// could not carry the next probe.
func (t *warmAcc) noteNotReusable(s sample.Sample) {
	for _, p := range s.Phases {
		for k, v := range p.Attributes {
			if why, ok := v.(string); ok && strings.HasSuffix(k, sdk.AttrSuffixNotReusable) {
				t.notReusable.add(&sample.Error{Message: why})
			}
		}
	}
}

func (t *warmAcc) phase(name string) *warmDurations {
	d, ok := t.phases[name]
	if !ok {
		d = &warmDurations{}
		t.phases[name] = d
	}
	return d
}

func (d *warmDurations) add(p sample.Phase) {
	switch p.Status {
	case sample.OK:
		d.ran++
		d.d = append(d.d, p.Duration)
	case sample.Reused:
		d.reused++
		d.d = append(d.d, 0)
	}
}

func (t *warmAcc) result() Warmth {
	w := t.w
	w.NotReusable = t.notReusable.list()
	if w.Cold == nil {
		return w
	}
	for _, p := range w.Cold.Phases {
		wp := WarmPhase{Name: p.Name, Cold: p.Duration, ColdOK: p.Status == sample.OK, ColdSkipped: p.Status == sample.Skipped}
		if d, ok := t.phases[p.Name]; ok {
			wp.WarmRan, wp.Reused = d.ran, d.reused
			wp.WarmP50, wp.WarmMean = medianMean(d.d)
		}
		w.Phases = append(w.Phases, wp)
	}
	w.Total = WarmPhase{Name: "total", Cold: w.Cold.Total(), ColdOK: w.Cold.OK(), WarmRan: t.total.ran}
	w.Total.WarmP50, w.Total.WarmMean = medianMean(t.total.d)
	return w
}

func medianMean(ds []time.Duration) (p50, mean time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	sorted := sortedCopy(ds)
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	return Percentile(sorted, 50), sum / time.Duration(len(sorted))
}
