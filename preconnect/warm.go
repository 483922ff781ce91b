package preconnect

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Warm tops every target up to PerTarget preconnected connections, making
// the missing ones now, concurrently (DefaultConcurrency at a time), and
// keeps them for the Transport. It is idempotent: calling it again, as a
// readiness check that retries does, makes connections only for targets
// with fewer than PerTarget waiting (none used, expired or dropped since);
// concurrent calls for the same target wait for each other rather than
// both connect.
//
// It returns when all are established or failed: PerTarget Results per
// target, target by target. For a connection already waiting, the Result
// is the one it was made with (Result.Start says when); for a new one, how
// it went. Only http and https targets can be warmed; others get an *Error
// of kind input. After Close, or if ctx ends first, the connections not
// made fail with kind canceled (or timeout). The URL a request uses must
// name the target's host as given (a name, with or without a final dot, or
// the same IP literal) and its port.
func (p *Pool) Warm(ctx context.Context, targets ...Target) []Result {
	n := p.opts.PerTarget
	out := make([]Result, len(targets)*n)
	if !p.startWarm() {
		for i, t := range targets {
			nt, err := p.warmable(t)
			if err == nil {
				err = &Error{Kind: KindCanceled, Message: fmt.Sprintf("target %q: the pool is closed", nt.Name)}
			}
			fill(out[i*n:(i+1)*n], Result{Target: nt, Err: err})
		}
		return out
	}
	defer p.warms.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.ctx, cancel)
	defer stop()
	sem := make(chan struct{}, DefaultConcurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.warmTarget(ctx, t, sem, out[i*n:(i+1)*n])
		}()
	}
	wg.Wait()
	return out
}

// startWarm registers a Warm call with Close; false when the pool is
// closed.
func (p *Pool) startWarm() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.warms.Add(1)
	return true
}

func fill(out []Result, r Result) {
	for i := range out {
		out[i] = r
	}
}

// warmable normalises t and checks that a Pool can warm it.
func (p *Pool) warmable(t Target) (Target, error) {
	nt, err := t.normalize()
	if err == nil && nt.Protocol != "http" && nt.Protocol != "https" {
		err = &Error{Kind: KindInput, Message: fmt.Sprintf("target %q: a Pool warms http and https targets, not %s", nt.Name, nt.Protocol)}
	}
	return nt, err
}

// warmTarget tops t up to PerTarget waiting connections and writes one
// Result per slot into out (len PerTarget): the waiting ones' first, then
// the new ones'.
func (p *Pool) warmTarget(ctx context.Context, t Target, sem chan struct{}, out []Result) {
	nt, err := p.warmable(t)
	if err != nil {
		fill(out, Result{Target: nt, Err: err})
		return
	}
	key := poolKey(nt.Protocol, nt.Host, nt.Port)
	unlock, err := p.lockKey(ctx, key, nt)
	if err != nil {
		fill(out, Result{Target: nt, Err: err})
		return
	}
	defer unlock()
	p.mu.Lock()
	p.targets[key] = nt
	have := 0
	for _, w := range p.idle[key] {
		if have < len(out) {
			out[have] = w.conn.result
			have++
		}
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for i := have; i < len(out); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				out[i] = p.establish(ctx, key, nt)
			case <-ctx.Done():
				out[i] = Result{Target: nt, Err: p.notStarted(ctx, nt)}
			}
		}()
	}
	wg.Wait()
}

// lockKey takes the lock of key: only its holder makes connections ahead of
// need to key, so the pool never keeps more than PerTarget waiting. It
// returns the unlock function, or an error when ctx ended first.
func (p *Pool) lockKey(ctx context.Context, key string, t Target) (func(), error) {
	p.mu.Lock()
	lock, ok := p.locks[key]
	if !ok {
		lock = make(chan struct{}, 1)
		p.locks[key] = lock
	}
	p.mu.Unlock()
	select {
	case lock <- struct{}{}:
		return func() { <-lock }, nil
	case <-ctx.Done():
		return nil, p.notStarted(ctx, t)
	}
}

// notStarted is why a connection was not attempted: the pool closed, or
// ctx ended.
func (p *Pool) notStarted(ctx context.Context, t Target) error {
	if p.ctx.Err() != nil {
		return &Error{Kind: KindCanceled, Message: fmt.Sprintf("target %q: the pool is closed", t.Name), Err: context.Canceled}
	}
	return notStarted(ctx, t, "not connected")
}

// replace starts re-warming w's slot when Rewarm is set: no sooner than
// MaxIdle after w was established, retrying every MaxIdle until the target
// has PerTarget connections waiting or the pool closes.
func (p *Pool) replace(w *warmConn) {
	if !p.opts.Rewarm {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		delay := p.opts.MaxIdle - time.Since(w.at)
		for p.sleep(delay) {
			if p.topUp(w.key, w.target) {
				return
			}
			delay = p.opts.MaxIdle
		}
	}()
}

// topUp makes one connection to key unless PerTarget wait already. It
// reports whether the slot is filled (or the pool closed).
func (p *Pool) topUp(key string, t Target) bool {
	unlock, err := p.lockKey(p.ctx, key, t)
	if err != nil {
		return true // closed
	}
	defer unlock()
	p.mu.Lock()
	full := len(p.idle[key]) >= p.opts.PerTarget
	if latest, ok := p.targets[key]; ok {
		t = latest // a later Warm may have changed its Timeout
	}
	p.mu.Unlock()
	return full || p.establish(p.ctx, key, t).OK()
}

// sleep waits d; false when the pool closed first.
func (p *Pool) sleep(d time.Duration) bool {
	if d <= 0 {
		return p.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.ctx.Done():
		return false
	}
}
