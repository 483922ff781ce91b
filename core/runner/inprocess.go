//go:build linux

package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// InProcess runs phases by calling them directly in this process: no plugin
// processes, no RPC, no descriptor passing. It is the baseline that
// benchmarks measure the plugin framework against, and it lets a program
// embed probe's phases.
type InProcess map[string]sdk.Phase

// Run calls the phase with the same request, budget and error handling the
// plugin server would apply.
func (ip InProcess) Run(ctx context.Context, phase string, call wire.Call) (wire.Reply, error) {
	p, ok := ip[phase]
	if !ok {
		return wire.Reply{}, fmt.Errorf("no phase %q", phase)
	}
	if call.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, call.Timeout)
		defer cancel()
	}
	req := &sdk.Request{Target: call.Target, Addresses: call.Addresses, Conn: call.Conn, Attributes: call.Attributes}
	if dl, ok := ctx.Deadline(); ok && call.Conn != nil {
		_ = call.Conn.SetDeadline(dl)
	}
	res, err := wire.RunPhase(ctx, p, req)
	if call.Conn != nil {
		_ = call.Conn.SetDeadline(time.Time{})
	}
	reply := wire.Reply{Duration: res.Duration, Addresses: res.Addresses, Conn: res.Conn,
		Attributes: res.Attributes, Reusable: res.Reusable}
	if err != nil {
		reply.Failure = &sdk.Error{Kind: sdk.Classify(err), Err: err}
		if res.Conn != nil {
			_ = res.Conn.Close()
			reply.Conn = nil
		}
	}
	return reply, nil
}

// Plugin names the phase's implementation.
func (ip InProcess) Plugin(phase string) string {
	p, ok := ip[phase]
	if !ok {
		return ""
	}
	d := p.Describe()
	return d.Name + " " + d.Version + " (in-process)"
}
