package runner

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/probe-net/probe/internal/phaserun"
	"github.com/probe-net/probe/sdk"
)

// InProcess runs phases by calling them directly in this process: no plugin
// processes, no RPC, no descriptor passing. It is the baseline that
// benchmarks measure the plugin framework against, and what a program that
// embeds probe's phases (package preconnect) runs. Keys are phase names.
type InProcess map[string]sdk.Phase

// Run calls the phase with the same request, budget and error handling the
// plugin server applies.
func (ip InProcess) Run(ctx context.Context, phase string, call Call) (Reply, error) {
	p, ok := ip[phase]
	if !ok {
		return Reply{}, fmt.Errorf("no phase %q", phase)
	}
	if call.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, call.Timeout)
		defer cancel()
	}
	req := &sdk.Request{Target: call.Target, Addresses: call.Addresses, Conn: call.Conn,
		Attributes: call.Attributes.Select(p.Describe().Reads)}
	if dl, ok := ctx.Deadline(); ok && call.Conn != nil {
		_ = call.Conn.SetDeadline(dl)
	}
	res, err := phaserun.Run(ctx, p, req)
	if call.Conn != nil {
		_ = call.Conn.SetDeadline(time.Time{})
	}
	reply := Reply{Duration: res.Duration, Addresses: res.Addresses, Conn: res.Conn,
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

// Abort closes conns: in one process, closing unblocks every user.
func (ip InProcess) Abort(conns []net.Conn) {
	for _, c := range conns {
		_ = c.Close()
	}
}
