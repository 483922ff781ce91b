package tcpphase

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// race runs Happy Eyeballs connection attempts (RFC 8305 section 5): one
// attempt at a time is started, the next after delay or as soon as an
// attempt fails; the first established connection wins and the rest are
// canceled.
type race struct {
	dial  func(context.Context, netip.AddrPort) (*net.TCPConn, error)
	delay time.Duration
}

// attempt is the end of one connection attempt.
type attempt struct {
	addr netip.AddrPort
	conn *net.TCPConn
	err  error
}

// outcome is the end of a race: conn is nil when every attempt failed.
type outcome struct {
	conn     *net.TCPConn
	addr     netip.AddrPort
	attempts int           // attempts started
	failures []attempt     // in the order they failed
	took     time.Duration // start to established, or to the last failure
}

func (r race) run(ctx context.Context, addrs []netip.AddrPort) outcome {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan attempt, len(addrs)) // attempts never block on sending
	var out outcome
	pending := 0
	launch := func() {
		if out.attempts == len(addrs) || ctx.Err() != nil {
			return
		}
		addr := addrs[out.attempts]
		out.attempts++
		pending++
		go func() {
			c, err := r.dial(ctx, addr)
			results <- attempt{addr: addr, conn: c, err: err}
		}()
	}
	timer := time.NewTimer(r.delay)
	defer timer.Stop()
	for launch(); pending > 0; {
		select {
		case a := <-results:
			pending--
			if a.err == nil {
				out.took, out.conn, out.addr = time.Since(start), a.conn, a.addr
				cancel()
				closeLosers(results, pending)
				return out
			}
			out.failures = append(out.failures, a)
			launch()
			timer.Reset(r.delay)
		case <-timer.C:
			launch()
			timer.Reset(r.delay)
		}
	}
	out.took = time.Since(start)
	return out
}

// closeLosers waits for the attempts still running (their context is
// canceled) and closes any that connected anyway.
func closeLosers(results <-chan attempt, pending int) {
	for ; pending > 0; pending-- {
		if a := <-results; a.conn != nil {
			_ = a.conn.Close()
		}
	}
}
