package stats

import (
	"slices"
	"strings"
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
	opts Options
	all  *perTarget[*targetAcc]
}

// NewAccumulator prepares statistics for the named targets, reported in
// that order.
func NewAccumulator(names []string, opts Options) *Accumulator {
	a := &Accumulator{opts: opts}
	a.all = newPerTarget(names, func(n string) *targetAcc { return newTargetAcc(n, &a.opts) })
	return a
}

// Add folds one finished probe in. A sample of a target not named to
// NewAccumulator is ignored, and so is a probe cut short by an interruption
// (sample.Canceled): it says nothing about its target.
func (a *Accumulator) Add(s sample.Sample) { a.all.add(s) }

// Targets returns the statistics so far, one per named target.
func (a *Accumulator) Targets() []Target {
	return readPerTarget(a.all, (*targetAcc).snapshot)
}

// targetAcc folds the probes of one target. It is kept per target for the
// whole run, so it is compact: at 100,000 targets every 100 bytes here is
// 10 MB (a map per target for phases and plugins, and a full Summary per
// phase just for its counts, were 2.1 KB per target, two thirds of a run's
// live heap at 10,000 targets).
type targetAcc struct {
	opts     *Options
	name     string
	probes   int
	ok       int
	phases   []namedPhase // in first-seen order; a chain has a handful
	total    phaseAcc
	last     []sample.Phase // the latest probe's phases, for its attributes
	insecure bool
	judge    judgement
}

type namedPhase struct {
	name, plugin string
	acc          *phaseAcc
}

func newTargetAcc(name string, opts *Options) *targetAcc {
	return &targetAcc{opts: opts, name: name, total: newPhaseAcc(opts)}
}

func (t *targetAcc) add(s sample.Sample) {
	t.probes++
	for _, p := range s.Phases {
		np := t.phase(p.Name)
		np.acc.add(p)
		if p.Plugin != "" {
			np.plugin = p.Plugin
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

func (t *targetAcc) phase(name string) *namedPhase {
	for i := range t.phases {
		if t.phases[i].name == name {
			return &t.phases[i]
		}
	}
	acc := newPhaseAcc(t.opts)
	t.phases = append(t.phases, namedPhase{name: name, acc: &acc})
	return &t.phases[len(t.phases)-1]
}

func (t *targetAcc) snapshot() Target {
	out := Target{Name: t.name, Probes: t.probes, OK: t.ok, Total: t.total.summary(), Insecure: t.insecure}
	out.Status, out.LastFailure = t.judge.result()
	for _, p := range t.phases {
		out.Phases = append(out.Phases, Phase{Name: p.name, Plugin: p.plugin, Summary: p.acc.summary()})
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
	count, ok, failed, skipped, reused int
	durations                          ring
	overhead                           time.Duration // summed over every successful run
	errors                             *errorGroups  // nil until the first failure
	warnings                           *errorGroups  // failures inside successful runs; nil until one
}

func newPhaseAcc(opts *Options) phaseAcc {
	return phaseAcc{durations: ring{window: opts.Window}}
}

// groups returns *g, made on first use, bounded like the durations when
// they are windowed.
func (a *phaseAcc) groups(g **errorGroups) *errorGroups {
	if *g == nil {
		*g = &errorGroups{}
		if a.durations.window > 0 {
			(*g).limit = MaxErrorGroups
		}
	}
	return *g
}

func (a *phaseAcc) add(p sample.Phase) {
	a.count++
	switch p.Status {
	case sample.OK:
		a.ok++
		a.durations.add(p.Duration)
		if m := Measured(p); p.Wall > m {
			a.overhead += p.Wall - m
		}
		a.addWarnings(p.Attributes)
	case sample.Skipped:
		a.skipped++
	case sample.Reused:
		a.reused++
	case sample.Failed:
		a.failed++
		a.groups(&a.errors).add(p.Error)
	}
}

// addWarnings groups the messages of every "<prefix>.errors" attribute
// (sdk.AttrSuffixErrors) of a successful run, in key order.
func (a *phaseAcc) addWarnings(attrs sdk.Attributes) {
	var keys []string
	for k, v := range attrs {
		if _, ok := v.([]string); ok && strings.HasSuffix(k, sdk.AttrSuffixErrors) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, m := range attrs[k].([]string) {
			a.groups(&a.warnings).add(&sample.Error{Message: m})
		}
	}
}

func (a *phaseAcc) summary() Summary {
	s := Summary{Count: a.count, OK: a.ok, Failed: a.failed, Skipped: a.skipped, Reused: a.reused}
	if a.errors != nil {
		s.Errors, s.OtherErrors = a.errors.list(), a.errors.other
	}
	if a.warnings != nil {
		s.Warnings = a.warnings.list()
	}
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
