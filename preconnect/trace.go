package preconnect

import (
	"context"
	"net"
	"time"
)

// Trace receives events of a Pool's dial hook for one request, like
// net/http/httptrace.ClientTrace. Attach it with WithTrace to the
// request's context. It is the way to know a request got a preconnected
// connection: httptrace cannot say (the package documentation explains
// what it reports instead).
type Trace struct {
	// Dial is called each time the Transport dials for the request: with
	// Preconnected true when the pool handed it a connection it had made
	// ahead of need, else after a connection was made on demand (or failed
	// to be). It runs on the Transport's dialling goroutine.
	Dial func(DialInfo)
}

// DialInfo describes one dial of a Pool's Transport.
type DialInfo struct {
	// Addr is the "host:port" the Transport dialled.
	Addr string
	// Preconnected says the connection was established ahead of need:
	// no DNS, TCP or TLS work happened at request time.
	Preconnected bool
	// Age is how long ago a preconnected connection was established; zero
	// for one made on demand.
	Age time.Duration
	// Result is how the connection was made: its phases and their
	// durations, the address, the TLS facts. For a preconnected connection
	// they were spent ahead of need; for one made on demand, by this
	// request. Result.Err is set when the dial failed.
	Result Result
	// Conn is the connection handed to the Transport, the one
	// httptrace.GotConnInfo.Conn reports: for https the *tls.Conn the tls
	// phase made, for http the connection the tcp phase made (a
	// *net.TCPConn). nil when the dial failed. It belongs to the
	// Transport: read its state (ConnectionState, LocalAddr), do not read,
	// write or close it.
	Conn net.Conn
}

type traceKey struct{}

// WithTrace returns a context carrying t; requests made with it report
// their Pool dials to t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func report(ctx context.Context, info DialInfo) {
	if t, _ := ctx.Value(traceKey{}).(*Trace); t != nil && t.Dial != nil {
		t.Dial(info)
	}
}
