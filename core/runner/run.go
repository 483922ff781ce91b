//go:build linux

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
	// probe's sample is emitted. Calls never overlap with each other or emit.
	OnPhase func(t plan.Target, round int, p sample.Phase)
	// Reuse keeps a target's connection after a probe whose last phase said
	// it can carry another request, and starts the target's next probe on
	// it, after the phase that produced it (HTTP keep-alive).
	Reuse bool
}

// Run probes every target of p for p.Run.Count rounds and calls emit once
// per probe, never concurrently. It returns when all rounds are done or ctx
// is cancelled; a probe the cancellation cut short is not emitted (OnPhase
// may have seen some of its phases).
func Run(ctx context.Context, p *plan.Plan, phases Phases, opts Options, emit func(sample.Sample)) {
	r := newRun(phases, opts, emit)
	defer r.pool.closeAll()
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

// run is the state shared by the probes of one Run.
type run struct {
	phases Phases
	opts   Options
	pool   *pool
	mu     sync.Mutex // serialises OnPhase and emit
	emit   func(sample.Sample)
}

func newRun(phases Phases, opts Options, emit func(sample.Sample)) *run {
	return &run{phases: phases, opts: opts, pool: newPool(), emit: emit}
}

func (r *run) probe(ctx context.Context, t plan.Target, round int) {
	s := r.probeTarget(ctx, t, round)
	if ctx.Err() != nil && s.Canceled() {
		return // cut short by the run's end, not a result about the target
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emit(s)
}

func (r *run) onPhase(t plan.Target, round int, p sample.Phase) {
	if r.opts.OnPhase == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opts.OnPhase(t, round, p)
}

func (r *run) round(ctx context.Context, p *plan.Plan, round int) {
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
