package stats

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// MaxErrorGroups bounds the distinct failure causes a windowed accumulator
// keeps per phase; later new causes are counted in Summary.OtherErrors.
const MaxErrorGroups = 32

// Options tune an Accumulator.
type Options struct {
	// Window, when above 0, keeps only the last Window successful durations
	// of each phase (and of the total) in a ring, so memory stays bounded
	// however long the accumulator runs: the percentiles, min, max and mean
	// are then over those durations, while the counts, the mean overhead
	// and the error counts stay over every sample folded in, and at most
	// MaxErrorGroups causes are kept per phase. For a long-running exporter.
	// 0 (a run of probe) keeps every duration: percentiles exact over all.
	Window int
	// DropAttributes keeps no attributes at all (Target.LastAttr stays
	// nil), for a report that shows none: at 10,000 targets the latest
	// probes' attributes were two thirds of a run's live heap.
	DropAttributes bool
}

// Accumulator folds samples into per-target statistics as they arrive. Per
// probe it keeps one duration per successful phase and one for the whole
// probe (none once the window is full); of attributes, only the target's
// latest probe's. Add and Targets may be called from different goroutines.
type Accumulator struct {
	mu      sync.Mutex
	opts    Options
	order   []string
	targets map[string]*targetAcc
}

// NewAccumulator prepares statistics for the named targets, reported in
// that order.
func NewAccumulator(names []string, opts Options) *Accumulator {
	a := &Accumulator{opts: opts, order: append([]string(nil), names...), targets: make(map[string]*targetAcc, len(names))}
	for _, n := range names {
		a.targets[n] = newTargetAcc(n, opts)
	}
	return a
}

// Add folds one finished probe in. A sample of a target not named to
// NewAccumulator is ignored, and so is a probe cut short by an interruption
// (sample.Canceled): it says nothing about its target.
func (a *Accumulator) Add(s sample.Sample) {
	if s.Canceled() {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if t, ok := a.targets[s.Target]; ok {
		t.add(s)
	}
}

// Targets returns the statistics so far, one per named target.
func (a *Accumulator) Targets() []Target {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Target, 0, len(a.order))
	for _, n := range a.order {
		out = append(out, a.targets[n].snapshot())
	}
	return out
}

// targetAcc folds the probes of one target.
type targetAcc struct {
	opts     Options
	name     string
	probes   int
	ok       int
	order    []string // phase names in first-seen order
	phases   map[string]*phaseAcc
	plugins  map[string]string
	total    *phaseAcc
	last     []sample.Phase // the latest probe's phases, for its attributes
	insecure bool
	judge    judgement
}

func newTargetAcc(name string, opts Options) *targetAcc {
	return &targetAcc{opts: opts, name: name, phases: map[string]*phaseAcc{}, plugins: map[string]string{}, total: newPhaseAcc(opts)}
}

func (t *targetAcc) add(s sample.Sample) {
	t.probes++
	for _, p := range s.Phases {
		t.phase(p.Name).add(p)
		if p.Plugin != "" {
			t.plugins[p.Name] = p.Plugin
		}
		if p.Attributes[sdk.AttrTLSInsecure] == true {
			t.insecure = true
		}
	}
	if f := s.Failure(); f != nil {
		t.total.add(sample.Phase{Status: sample.Failed, Error: f.Error})
	} else {
		t.ok++
		t.total.add(sample.Phase{Status: sample.OK, Duration: s.Total(), Wall: s.Wall})
	}
	if !t.opts.DropAttributes {
		t.last = s.Phases
	}
	t.judge.add(s)
}

func (t *targetAcc) phase(name string) *phaseAcc {
	a, ok := t.phases[name]
	if !ok {
		a = newPhaseAcc(t.opts)
		t.phases[name] = a
		t.order = append(t.order, name)
	}
	return a
}

func (t *targetAcc) snapshot() Target {
	out := Target{Name: t.name, Probes: t.probes, OK: t.ok, Total: t.total.summary(), Insecure: t.insecure}
	out.Status, out.LastFailure = t.judge.result()
	for _, name := range t.order {
		out.Phases = append(out.Phases, Phase{Name: name, Plugin: t.plugins[name], Summary: t.phases[name].summary()})
	}
	if t.last != nil {
		out.LastAttr = mergeAttrs(t.last)
	}
	return out
}

func mergeAttrs(phases []sample.Phase) sdk.Attributes {
	out := sdk.Attributes{}
	for _, p := range phases {
		for k, v := range p.Attributes {
			out[k] = v
		}
	}
	return out
}

// phaseAcc folds one phase's results (or the whole probe's, for the total).
type phaseAcc struct {
	counts    Summary // Count, OK, Failed, Skipped, Reused
	durations ring
	overhead  time.Duration // summed over every successful run
	errors    errorGroups
	warnings  errorGroups // failures inside successful runs
}

func newPhaseAcc(opts Options) *phaseAcc {
	a := &phaseAcc{durations: ring{window: opts.Window}}
	if opts.Window > 0 {
		a.errors.limit, a.warnings.limit = MaxErrorGroups, MaxErrorGroups
	}
	return a
}

func (a *phaseAcc) add(p sample.Phase) {
	a.counts.Count++
	switch p.Status {
	case sample.OK:
		a.counts.OK++
		a.durations.add(p.Duration)
		if m := Measured(p); p.Wall > m {
			a.overhead += p.Wall - m
		}
		a.addWarnings(p.Attributes)
	case sample.Skipped:
		a.counts.Skipped++
	case sample.Reused:
		a.counts.Reused++
	case sample.Failed:
		a.counts.Failed++
		a.errors.add(p.Error)
	}
}

// addWarnings groups the messages of every "<prefix>.errors" attribute
// (sdk.AttrSuffixErrors) of a successful run.
func (a *phaseAcc) addWarnings(attrs sdk.Attributes) {
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		msgs, ok := attrs[k].([]string)
		if !ok || !strings.HasSuffix(k, sdk.AttrSuffixErrors) {
			continue
		}
		for _, m := range msgs {
			a.warnings.add(&sample.Error{Message: m})
		}
	}
}

func (a *phaseAcc) summary() Summary {
	s := a.counts
	s.Errors, s.OtherErrors = a.errors.list(), a.errors.other
	s.Warnings = a.warnings.list()
	d := sortedCopy(a.durations.values)
	n := len(d)
	if n == 0 {
		return s
	}
	for _, v := range d {
		s.Sum += v
	}
	s.Durations = d
	s.Min, s.Max, s.Mean = d[0], d[n-1], s.Sum/time.Duration(n)
	s.P50, s.P90, s.P99 = Percentile(d, 50), Percentile(d, 90), Percentile(d, 99)
	s.MeanOverhead = a.overhead / time.Duration(s.OK)
	return s
}

// ring holds durations: all of them, or with a window the last window ones.
type ring struct {
	window int // 0: unbounded
	values []time.Duration
	next   int // where the next value goes once the window is full
}

func (r *ring) add(d time.Duration) {
	if r.window <= 0 || len(r.values) < r.window {
		r.values = append(r.values, d)
		return
	}
	r.values[r.next] = d
	r.next = (r.next + 1) % r.window
}
