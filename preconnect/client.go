package preconnect

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/probe-net/probe/core/runner"
)

// Client probes targets through the built-in phases, configured once, in
// the calling process: no plugin processes. It is safe for concurrent use
// and holds no connection between probes: each probe connects cold, as
// the CLI's probe run does, and closes what it opened.
type Client struct {
	prober *runner.Prober
}

// New returns a Client whose phases are configured by cfg. The error names
// the phase and attribute it rejects.
func New(cfg Config) (*Client, error) {
	phases, err := cfg.phases(nil)
	if err != nil {
		return nil, err
	}
	return &Client{prober: runner.NewProber(phases, runner.Options{})}, nil
}

var defaultClient = sync.OnceValues(func() (*Client, error) { return New(Config{}) })

// Host probes one target once with the zero Config: the system's resolvers
// and trusted CAs. See Client.Host.
func Host(ctx context.Context, t Target) (Result, error) {
	c, err := defaultClient()
	if err != nil {
		return Result{Target: t, Err: err}, err
	}
	return c.Host(ctx, t)
}

// All probes targets with the zero Config. See Client.All.
func All(ctx context.Context, targets []Target, opts Options) []Result {
	c, err := defaultClient()
	if err != nil {
		out := make([]Result, len(targets))
		for i, t := range targets {
			out[i] = Result{Target: t, Err: err}
		}
		return out
	}
	return c.All(ctx, targets, opts)
}

// Host runs t's chain of phases (see Phases) once within t.Timeout, on a
// new connection that it closes before returning. The error is Result.Err:
// nil when every phase succeeded, else an *Error with the failed phase and
// its kind. An invalid Target gives an *Error of kind input and no phases,
// and a ctx already done one of kind canceled; ctx cancelled during the
// probe fails the running phase with kind canceled.
func (c *Client) Host(ctx context.Context, t Target) (Result, error) {
	nt, err := t.normalize()
	if err == nil && ctx.Err() != nil {
		err = notStarted(ctx, nt, "not probed")
	}
	if err != nil {
		return Result{Target: nt, Err: err}, err
	}
	r := fromSample(nt, c.prober.Probe(ctx, nt.planTarget(), 0))
	return r, r.Err
}

// Options say how All probes.
type Options struct {
	// Concurrency is how many targets are probed at once; 0 means 16, the
	// CLI's default.
	Concurrency int
	// Sequential probes one target at a time, in order (Concurrency 1).
	Sequential bool
	// OnResult, if set, is called with each result as it completes (for
	// verbose output), never concurrently.
	OnResult func(Result)
}

// DefaultConcurrency is how many targets All probes at once by default.
const DefaultConcurrency = 16

// All probes every target once (see Client.Host) and returns the results
// in the order of targets. Targets not started when ctx is cancelled get
// an *Error of kind canceled.
func (c *Client) All(ctx context.Context, targets []Target, opts Options) []Result {
	n := opts.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	if opts.Sequential {
		n = 1
	}
	out := make([]Result, len(targets))
	var mu sync.Mutex // serialises OnResult
	var wg sync.WaitGroup
	sem := make(chan struct{}, n)
	for i, t := range targets {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], _ = c.Host(ctx, t)
			if opts.OnResult != nil {
				mu.Lock()
				defer mu.Unlock()
				opts.OnResult(out[i])
			}
		}()
	}
	wg.Wait()
	return out
}

// notStarted is the error of a target not probed because ctx was done
// already: kind timeout for a deadline, else canceled.
func notStarted(ctx context.Context, t Target, what string) *Error {
	kind := KindCanceled
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		kind = KindTimeout
	}
	return &Error{Kind: kind, Message: fmt.Sprintf("target %q: %s: %v", t.Name, what, ctx.Err()), Err: ctx.Err()}
}
