package runner

import (
	"context"
	"sync"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
)

// Options change how a run probes. The zero value probes every target cold.
type Options struct {
	// OnPhase is called as each phase of each probe completes, before the
	// probe's sample is emitted. Calls never overlap with each other or
	// with emit.
	OnPhase func(t plan.Target, round int, p sample.Phase)
	// Reuse keeps a target's connection after a probe whose last phase said
	// it can carry another request, and starts the target's next probe on
	// it, after the phase that produced it (HTTP keep-alive).
	Reuse bool
}

// Prober probes one target at a time through a set of Phases. It is the
// unit every schedule is built from: Run drives it in rounds, a
// long-running exporter on its own clock, a library once per target. Probe
// is safe for concurrent use on different targets; probes of the same
// target must not overlap when Options.Reuse is set.
type Prober struct {
	phases Phases
	opts   Options
	pool   *pool
	mu     sync.Mutex // serialises OnPhase callbacks (and Run's emit)
}

// NewProber returns a Prober over phases. Close releases the connections it
// keeps for reuse.
func NewProber(phases Phases, opts Options) *Prober {
	return &Prober{phases: phases, opts: opts, pool: newPool()}
}

// Probe runs t's chain once within t.Timeout and returns its sample; round
// is recorded in the sample. A probe cut short by ctx ends with a phase of
// kind canceled (see Interrupted).
func (r *Prober) Probe(ctx context.Context, t plan.Target, round int) sample.Sample {
	return r.probeTarget(ctx, t, round)
}

// Close releases every connection kept for reuse.
func (r *Prober) Close() { r.pool.closeAll() }

// Interrupted reports whether s failed only because its context was
// cancelled: a fact about the run, not about the target. It is
// sample.Sample.Canceled, the one place the rule is written.
func Interrupted(s sample.Sample) bool { return s.Canceled() }

func (r *Prober) onPhase(t plan.Target, round int, p sample.Phase) {
	if r.opts.OnPhase == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opts.OnPhase(t, round, p)
}

// Run probes every target of p for p.Run.Count rounds and calls emit once
// per probe, never concurrently. It returns when all rounds are done or ctx
// is cancelled; a probe the cancellation cut short is not emitted (OnPhase
// may have seen some of its phases).
func Run(ctx context.Context, p *plan.Plan, phases Phases, opts Options, emit func(sample.Sample)) {
	r := &rounds{prober: NewProber(phases, opts), emit: emit}
	defer r.prober.Close()
	for round := 0; round < p.Run.Count; round++ {
		if round > 0 && !sleep(ctx, p.Run.Interval) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		if p.Run.Sequential {
			for _, t := range p.Targets {
				if ctx.Err() != nil {
					return
				}
				r.probe(ctx, t, round)
			}
			continue
		}
		r.round(ctx, p, round)
	}
}

// rounds is the state shared by the probes of one Run.
type rounds struct {
	prober *Prober
	emit   func(sample.Sample)
}

func (r *rounds) probe(ctx context.Context, t plan.Target, round int) {
	s := r.prober.Probe(ctx, t, round)
	if ctx.Err() != nil && Interrupted(s) {
		return // cut short by the run's end, not a result about the target
	}
	r.prober.mu.Lock()
	defer r.prober.mu.Unlock()
	r.emit(s)
}

func (r *rounds) round(ctx context.Context, p *plan.Plan, round int) {
	sem := make(chan struct{}, max(p.Run.Concurrency, 1))
	var wg sync.WaitGroup
	for _, t := range p.Targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.probe(ctx, t, round)
		}()
	}
	wg.Wait()
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
