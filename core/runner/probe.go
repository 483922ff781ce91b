package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// chain is the state one probe carries from phase to phase.
type chain struct {
	deadline time.Time // the probe's budget ends here
	addrs    []netip.Addr
	conn     net.Conn   // the connection the next phase receives
	held     []net.Conn // every handle the host holds; closed on release
	attrs    sdk.Attributes
	// resumeAt is the index of the first phase after the one that produced
	// conn: where a probe reusing this chain starts.
	resumeAt int
	reusable bool // the last phase said conn can carry another request
}

// probeTarget runs t's chain once within t.Timeout. Each phase gets what is
// left of the budget; the phase enforces it, and a Phases implementation
// that waits for another process waits a little longer, so a phase's own
// timeout error (which says what it was waiting for) wins over the host's.
func (r *Prober) probeTarget(ctx context.Context, t plan.Target, round int) sample.Sample {
	if r.opts.Reuse {
		if idle := r.pool.take(t.Name); idle != nil {
			s, ok := r.reuse(ctx, t, round, idle)
			if ok {
				return s
			}
			fresh := r.fresh(ctx, t, round)
			fresh.Note = s.Note
			return fresh
		}
	}
	return r.fresh(ctx, t, round)
}

// attrsHint sizes a probe's attribute map for what the built-in https
// chain reports, so that merging each phase's attributes does not grow it
// step by step (the host's allocation profile at 10,000 targets showed
// chain.absorb's map growth as its largest allocator after the wire).
const attrsHint = 32

// fresh probes t on a new connection. An IP-literal host is the address
// from the start, so a chain without a resolve phase can connect to it.
func (r *Prober) fresh(ctx context.Context, t plan.Target, round int) sample.Sample {
	return r.runChain(ctx, t, round, newChain(t), 0)
}

// newChain is the state a new probe of t starts from: an IP-literal host is
// already its address.
func newChain(t plan.Target) *chain {
	c := &chain{attrs: make(sdk.Attributes, attrsHint)}
	if t.Literal.IsValid() {
		c.addrs = []netip.Addr{t.Literal}
	}
	return c
}

// reuse probes t on the connection kept from its previous probe. It reports
// false when that connection turned out to be stale, having released it.
func (r *Prober) reuse(ctx context.Context, t plan.Target, round int, c *chain) (sample.Sample, bool) {
	s := r.runChain(ctx, t, round, c, c.resumeAt)
	if f := s.Failure(); f != nil && staleConn(f.Error.Kind) {
		s.Note = fmt.Sprintf("the kept connection had gone stale (%s); probed on a new one", f.Error.Kind)
		return s, false
	}
	return s, true
}

// staleConn reports whether a failure on a reused connection means only
// that the server had closed it.
func staleConn(kind sdk.ErrorKind) bool {
	return kind == sdk.KindReset || kind == sdk.KindProtocol
}

// runChain runs t's phases from index start on c. Phases before start are
// recorded as reused. The chain is kept for reuse or released.
func (r *Prober) runChain(ctx context.Context, t plan.Target, round int, c *chain, start int) sample.Sample {
	s := r.steps(ctx, t, round, c, start)
	if r.opts.Reuse && s.OK() && c.reusable && c.conn != nil {
		r.pool.put(t.Name, c)
	} else {
		c.release()
	}
	return s
}

// steps runs t's phases from index start on c; phases before start are
// recorded as reused.
func (r *Prober) steps(ctx context.Context, t plan.Target, round int, c *chain, start int) sample.Sample {
	s := sample.Sample{Target: t.Name, Round: round, Start: time.Now(), Reused: start > 0}
	c.deadline = time.Now().Add(t.Timeout)
	c.reusable = false
	began := time.Now()
	for i, name := range t.Phases {
		p := sample.Phase{Name: name, Status: sample.Reused, Note: "connection reused"}
		if i >= start {
			p = c.step(ctx, t, i, name, r.phases)
		}
		s.Phases = append(s.Phases, p)
		r.onPhase(t, round, p)
		if p.Status == sample.Failed {
			break
		}
	}
	s.Wall = time.Since(began)
	return s
}

// Held is a connection a chain made, kept for the caller (see
// Prober.Connect).
type Held struct {
	// Conn is what the chain's last connection-carrying phase handed on:
	// in process, the phase's own value (a *tls.Conn after tls); from a
	// plugin process, the host's socket.
	Conn    net.Conn
	handles []net.Conn
}

// Close closes every handle the chain held, Conn included.
func (h *Held) Close() error {
	var first error
	for _, c := range h.handles {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Connect runs t's chain once, as Probe does, but keeps the connection it
// made and hands it to the caller, who must Close it. It returns nil when a
// phase failed or no phase produced a connection. Options.Reuse plays no
// part: the connection is the caller's.
func (r *Prober) Connect(ctx context.Context, t plan.Target, round int) (sample.Sample, *Held) {
	c := newChain(t)
	s := r.steps(ctx, t, round, c, 0)
	if !s.OK() || c.conn == nil {
		c.release()
		return s, nil
	}
	return s, &Held{Conn: c.conn, handles: c.held}
}

func (c *chain) step(ctx context.Context, t plan.Target, index int, name string, phases Phases) sample.Phase {
	if name == plan.ResolvePhase && t.Literal.IsValid() {
		c.addrs = []netip.Addr{t.Literal}
		return sample.Phase{Name: name, Status: sample.Skipped, Note: "host is an IP address"}
	}
	res := sample.Phase{Name: name, Plugin: phases.Plugin(name)}
	budget := time.Until(c.deadline)
	if budget <= 0 {
		res.Status = sample.Failed
		res.Error = &sample.Error{Kind: sdk.KindTimeout, Message: fmt.Sprintf("the %s timeout ran out before phase %s", t.Timeout, name)}
		return res
	}
	call := Call{Target: t.Target, Addresses: c.addrs, Conn: c.conn, Attributes: c.attrs, Timeout: budget}
	start := time.Now()
	reply, err := phases.Run(ctx, name, call)
	res.Wall = time.Since(start)
	if err != nil {
		phases.Abort(c.held)
		// The phase reported nothing: it took what the host waited.
		res.Duration = res.Wall
		res.Status, res.Error = sample.Failed, callError(ctx, t, err)
		return res
	}
	c.absorb(index, reply, &res)
	if res.Status == sample.Failed {
		blameRelay(call.Conn, res.Error)
	}
	return res
}

// blameRelay puts a failure that looks like a broken connection (reset,
// protocol, timeout) down to the plugin that relayed the connection (a TLS
// bridge), if that plugin's process died or stopped: then the peer did not
// close it, the relay broke.
func blameRelay(in net.Conn, e *sample.Error) {
	relay, ok := in.(interface{ RelayError() error })
	if !ok || e == nil || (e.Kind != sdk.KindReset && e.Kind != sdk.KindProtocol && e.Kind != sdk.KindTimeout) {
		return
	}
	if err := relay.RelayError(); err != nil {
		e.Message = fmt.Sprintf("%v (the phase saw: %s)", err, e.Error())
		e.Kind = sdk.KindPlugin
	}
}

// absorb records a phase's reply in the sample and carries its outputs on.
func (c *chain) absorb(index int, reply Reply, res *sample.Phase) {
	res.Duration, res.Attributes = reply.Duration, reply.Attributes
	if reply.Conn != nil {
		c.held = append(c.held, reply.Conn)
		c.conn = reply.Conn
		c.resumeAt = index + 1
	}
	if reply.Failure != nil {
		res.Status = sample.Failed
		res.Error = &sample.Error{Kind: reply.Failure.Kind, Message: reply.Failure.Error(), Err: reply.Failure}
		return
	}
	res.Status = sample.OK
	c.reusable = reply.Reusable
	if len(reply.Addresses) > 0 {
		c.addrs = reply.Addresses
	}
	for k, v := range reply.Attributes {
		c.attrs[k] = v
	}
}

// callError explains a failed call: the phase did not answer in time, the
// run was interrupted, or the implementation serving it broke.
func callError(ctx context.Context, t plan.Target, err error) *sample.Error {
	var se *sdk.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &sample.Error{Kind: sdk.KindTimeout, Message: fmt.Sprintf("%v (probe timeout %s)", err, t.Timeout), Err: err}
	case errors.Is(err, context.Canceled), errors.Is(ctx.Err(), context.Canceled):
		return &sample.Error{Kind: sdk.KindCanceled, Message: "interrupted", Err: err}
	case errors.As(err, &se):
		return &sample.Error{Kind: se.Kind, Message: se.Error(), Err: err}
	}
	return &sample.Error{Kind: sdk.KindPlugin, Message: err.Error(), Err: err}
}

func (c *chain) release() {
	for _, h := range c.held {
		_ = h.Close()
	}
	c.held, c.conn = nil, nil
}
