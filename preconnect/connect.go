package preconnect

import (
	"context"
	"net"

	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/sdk"
)

// connChain is the part of a protocol's chain that makes the connection an
// http.Transport can use: no http phase (the Transport sends the requests).
func connChain(protocol string) []string {
	if protocol == "https" {
		return []string{sdk.PhaseDNS, sdk.PhaseTCP, sdk.PhaseTLS}
	}
	return []string{sdk.PhaseDNS, sdk.PhaseTCP}
}

// conn is a connection made through the phases.
type conn struct {
	// Conn is what the Transport gets: the tls phase's *tls.Conn (over raw)
	// for https, the tcp phase's connection itself for http.
	net.Conn
	raw    *watchedConn // the TCP connection underneath, watched while idle
	result Result
}

// connect runs t's connection phases (dns unless the host is an IP
// literal, tcp, tls for https) in this process with the runner, as a probe
// runs them, and keeps the connection. It returns nil and the failure in
// Result.Err when a phase fails.
func connect(ctx context.Context, phases runner.Phases, t Target) (*conn, Result) {
	w := &watching{Phases: phases}
	pt := t.planTarget()
	pt.Phases = connChain(t.Protocol)
	s, held := runner.NewProber(w, runner.Options{}).Connect(ctx, pt, 0)
	r := fromSample(t, s)
	if held == nil {
		return nil, r
	}
	out := &conn{Conn: held.Conn, raw: w.raw, result: r}
	if held.Conn == net.Conn(w.raw) { // no TLS above: nothing of the watcher's to keep
		out.Conn = w.raw.Conn
	}
	return out, r
}

// watching wraps the tcp phase's socket, before tls builds on it, so that a
// Pool can watch it while it waits. One watching serves one connect.
type watching struct {
	runner.Phases
	raw *watchedConn
}

func (w *watching) Run(ctx context.Context, phase string, call runner.Call) (runner.Reply, error) {
	reply, err := w.Phases.Run(ctx, phase, call)
	if err == nil && phase == sdk.PhaseTCP && reply.Conn != nil {
		w.raw = newWatchedConn(reply.Conn)
		reply.Conn = w.raw
	}
	return reply, err
}
