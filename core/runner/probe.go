//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// chain is the state one probe carries from phase to phase.
type chain struct {
	deadline time.Time // the probe's budget ends here
	addrs    []netip.Addr
	conn     net.Conn   // the connection the next phase receives
	held     []net.Conn // every handle the host holds; closed when the probe ends
	attrs    sdk.Attributes
}

// Probe runs t's chain once within t.Timeout and returns the sample. Each
// phase gets what is left of the budget; the plugin enforces it and the
// host waits wire.TimeoutGrace longer, so a plugin's own timeout error (which
// says what it was waiting for) wins over the host's.
func Probe(ctx context.Context, t plan.Target, round int, phases Phases) sample.Sample {
	s := sample.Sample{Target: t.Name, Round: round, Start: time.Now()}
	c := &chain{attrs: sdk.Attributes{}, deadline: time.Now().Add(t.Timeout)}
	defer c.release()
	start := time.Now()
	for _, name := range t.Phases {
		p := c.step(ctx, t, name, phases)
		s.Phases = append(s.Phases, p)
		if p.Status == sample.Failed {
			break
		}
	}
	s.Wall = time.Since(start)
	return s
}

func (c *chain) step(ctx context.Context, t plan.Target, name string, phases Phases) sample.Phase {
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
	call := wire.Call{Target: t.Target, Addresses: c.addrs, Attributes: c.attrs.Clone(), Timeout: budget}
	if sc, ok := c.conn.(syscall.Conn); ok {
		call.Conn = sc
	}
	start := time.Now()
	reply, err := phases.Run(ctx, name, call)
	res.Wall = time.Since(start)
	if err != nil {
		c.abort()
		res.Status, res.Error = sample.Failed, callError(ctx, name, t, err)
		return res
	}
	res.Duration, res.Attributes = reply.Duration, reply.Attributes
	if reply.Conn != nil {
		c.held = append(c.held, reply.Conn)
		c.conn = reply.Conn
	}
	if reply.Failure != nil {
		res.Status = sample.Failed
		res.Error = &sample.Error{Kind: reply.Failure.Kind, Message: reply.Failure.Error()}
		return res
	}
	res.Status = sample.OK
	if len(reply.Addresses) > 0 {
		c.addrs = reply.Addresses
	}
	for k, v := range reply.Attributes {
		c.attrs[k] = v
	}
	return res
}

// callError explains a failed call: the plugin did not answer in time, the
// run was interrupted, or the plugin process broke.
func callError(ctx context.Context, phase string, t plan.Target, err error) *sample.Error {
	code := status.Code(err)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), code == codes.DeadlineExceeded:
		return &sample.Error{Kind: sdk.KindTimeout, Message: fmt.Sprintf("plugin did not answer within the %s timeout (hung?)", t.Timeout)}
	case errors.Is(ctx.Err(), context.Canceled), code == codes.Canceled:
		return &sample.Error{Kind: sdk.KindCanceled, Message: "interrupted"}
	}
	return &sample.Error{Kind: sdk.KindPlugin, Message: err.Error()}
}

// abort shuts the probe's sockets down for every process holding them, so
// a plugin stuck reading or writing on them returns.
func (c *chain) abort() {
	for _, h := range c.held {
		if sc, ok := h.(syscall.Conn); ok {
			fdpass.Shutdown(sc)
		}
	}
}

func (c *chain) release() {
	for _, h := range c.held {
		_ = h.Close()
	}
}
