package preconnect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/sdk"
)

// connChain is the part of a protocol's chain that makes the connection an
// http.Transport can use: no http phase (the Transport sends the requests).
func connChain(protocol string) []string {
	if protocol == "https" {
		return []string{"dns", "tcp", "tls"}
	}
	return []string{"dns", "tcp"}
}

// conn is a connection made through the phases.
type conn struct {
	net.Conn              // *tls.Conn for https, else the *watchedConn
	raw      *watchedConn // the TCP connection underneath
	result   Result
}

// connect runs t's connection phases (dns unless the host is an IP
// literal, tcp, tls for https) in this process, each with what is left of
// t.Timeout, as the runner runs them, and keeps the connection. It returns
// nil and the failure in Result.Err when a phase fails.
func connect(ctx context.Context, phases runner.Phases, t Target) (*conn, Result) {
	pt := t.planTarget()
	c := chainState{phases: phases, target: pt, deadline: time.Now().Add(t.Timeout), attrs: sdk.Attributes{}}
	r := Result{Target: t, Start: time.Now()}
	for _, name := range connChain(t.Protocol) {
		ph := c.step(ctx, name)
		r.add(ph)
		if ph.Status == Failed {
			c.release()
			return nil, r
		}
	}
	return &conn{Conn: c.conn, raw: c.raw, result: r}, r
}

// chainState is what one connect carries from phase to phase.
type chainState struct {
	phases   runner.Phases
	target   plan.Target
	deadline time.Time
	addrs    []netip.Addr
	conn     net.Conn
	raw      *watchedConn
	held     []net.Conn
	attrs    sdk.Attributes
}

func (c *chainState) step(ctx context.Context, name string) Phase {
	if name == plan.ResolvePhase && c.target.Literal.IsValid() {
		c.addrs = []netip.Addr{c.target.Literal}
		return Phase{Name: name, Status: Skipped, Note: "host is an IP address"}
	}
	budget := time.Until(c.deadline)
	if budget <= 0 {
		return failed(name, sdk.KindTimeout, fmt.Sprintf("the %s timeout ran out before phase %s", c.target.Timeout, name))
	}
	call := runner.Call{Target: c.target.Target, Addresses: c.addrs, Conn: c.conn, Attributes: c.attrs.Clone(), Timeout: budget}
	reply, err := c.phases.Run(ctx, name, call)
	if err != nil {
		return failed(name, callKind(err), err.Error())
	}
	ph := Phase{Name: name, Status: OK, Duration: reply.Duration, Attributes: reply.Attributes}
	if reply.Failure != nil {
		ph.Status, ph.Err = Failed, &Error{Phase: name, Kind: reply.Failure.Kind, Message: reply.Failure.Error()}
		return ph
	}
	c.absorb(reply)
	return ph
}

// absorb carries a successful phase's outputs on. The tcp phase's socket
// is wrapped so that a Pool can watch it while idle.
func (c *chainState) absorb(reply runner.Reply) {
	if reply.Conn != nil {
		next := reply.Conn
		if c.raw == nil {
			c.raw = newWatchedConn(next)
			next = c.raw
		}
		c.held = append(c.held, next)
		c.conn = next
	}
	if len(reply.Addresses) > 0 {
		c.addrs = reply.Addresses
	}
	for k, v := range reply.Attributes {
		c.attrs[k] = v
	}
}

func (c *chainState) release() {
	for _, h := range c.held {
		_ = h.Close()
	}
}

func failed(name string, kind sdk.ErrorKind, msg string) Phase {
	return Phase{Name: name, Status: Failed, Err: &Error{Phase: name, Kind: kind, Message: msg}}
}

// callKind classifies a call that failed outright, as runner.Phases says.
func callKind(err error) sdk.ErrorKind {
	var se *sdk.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return sdk.KindTimeout
	case errors.Is(err, context.Canceled):
		return sdk.KindCanceled
	case errors.As(err, &se):
		return se.Kind
	}
	return sdk.KindPlugin
}
