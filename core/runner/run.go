//go:build linux

package runner

import (
	"context"
	"sync"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
)

// Run probes every target of p for p.Run.Count rounds and calls emit once
// per probe, never concurrently. It returns when all rounds are done or ctx
// is cancelled; probes in flight at cancellation are emitted as failures.
func Run(ctx context.Context, p *plan.Plan, phases Phases, emit func(sample.Sample)) {
	var mu sync.Mutex
	safeEmit := func(s sample.Sample) {
		mu.Lock()
		defer mu.Unlock()
		emit(s)
	}
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
				safeEmit(Probe(ctx, t, round, phases))
			}
			continue
		}
		runRound(ctx, p, round, phases, safeEmit)
	}
}

func runRound(ctx context.Context, p *plan.Plan, round int, phases Phases, emit func(sample.Sample)) {
	limit := p.Run.Concurrency
	if limit < 1 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
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
			emit(Probe(ctx, t, round, phases))
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
