package preconnect

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/probe-net/probe/core/runner"
)

// DefaultMaxIdle is how long a preconnected connection waits unused before
// a Pool closes it, when PoolOptions.MaxIdle is 0: http.DefaultTransport's
// IdleConnTimeout.
const DefaultMaxIdle = 90 * time.Second

// PoolOptions say how a Pool keeps its connections.
type PoolOptions struct {
	// PerTarget is how many preconnected connections the pool keeps
	// waiting for each target; 0 means 1. Warm tops a target up to it and
	// re-warming never goes past it. Over HTTP/2 one connection carries
	// every request; over HTTP/1.1 each concurrent first request needs its
	// own.
	PerTarget int
	// MaxIdle is how long a preconnected connection may wait unused; then
	// the pool closes it. 0 means DefaultMaxIdle. It is also the
	// Transport's IdleConnTimeout. Keep it below the server's keep-alive
	// (idle) timeout: the pool notices a server closing a waiting
	// connection at once and never hands that one out, but a close racing
	// the first request fails that request.
	MaxIdle time.Duration
	// Rewarm replaces every preconnected connection closed unused (MaxIdle
	// passed, or the server closed it) with a new one, until Close: the
	// targets stay warm, PerTarget connections each. A replacement is made
	// no sooner than MaxIdle after the connection it replaces was
	// established, and not at all when PerTarget connections wait already
	// (Warm topped the target up meanwhile); a failed one is retried every
	// MaxIdle. So a target costs at most PerTarget connections per MaxIdle.
	// A connection handed to the Transport is not replaced: the Transport
	// keeps it.
	Rewarm bool
	// OnWarm, if set, is called with the result of every connection the
	// pool establishes ahead of need (by Warm and by re-warming), success
	// or failure, never concurrently; not for attempts Close cut short.
	OnWarm func(Result)
}

// Pool establishes HTTP connections ahead of need and hands them to its
// http.Transport when that Transport dials, so the first request to each
// preconnected target pays for no DNS lookup, TCP connect or TLS
// handshake. See the package documentation for how to use it.
type Pool struct {
	opts      PoolOptions
	phases    runner.InProcess
	tr        *http.Transport
	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	onWarmM   sync.Mutex // serialises OnWarm
	deadlines deadlines

	mu      sync.Mutex
	idle    map[string][]*warmConn   // by key, oldest first
	targets map[string]Target        // what Warm was given, by key
	locks   map[string]chan struct{} // by key: held while topping the key up (see lockKey)
	closed  bool
	stats   PoolStats
	wg      sync.WaitGroup // re-warm goroutines
	warms   sync.WaitGroup // Warm calls in flight
}

// PoolStats counts what a Pool did.
type PoolStats struct {
	Idle    int // preconnected connections waiting now
	Warmed  int // connections established ahead of need (Warm and re-warm)
	Failed  int // attempts to establish one that failed
	Used    int // preconnected connections handed to the Transport
	Expired int // closed unused after MaxIdle
	Stale   int // found closed (or broken) by the server while waiting
	Dialed  int // connections the Transport needed that were not ready, made on demand
}

// warmConn is one preconnected connection waiting in the pool.
type warmConn struct {
	key    string
	conn   *conn
	at     time.Time
	timer  *time.Timer // MaxIdle expiry
	target Target
}

// NewPool returns a Pool whose connections go through the built-in dns,
// tcp and tls phases configured by cfg (cfg.HTTP is unused: the Transport
// speaks HTTP). Unless cfg.TLS sets them, the TLS phase offers ALPN h2 and
// http/1.1 and keeps a session cache per host and port, so connections
// made after a first request resume the TLS session. The error names the
// phase and attribute cfg gets wrong.
func NewPool(cfg Config, opts PoolOptions) (*Pool, error) {
	if opts.PerTarget < 0 || opts.MaxIdle < 0 {
		return nil, fmt.Errorf("preconnect: PoolOptions: PerTarget %d and MaxIdle %s must not be negative", opts.PerTarget, opts.MaxIdle)
	}
	opts.PerTarget = max(opts.PerTarget, 1)
	if opts.MaxIdle == 0 {
		opts.MaxIdle = DefaultMaxIdle
	}
	phases, err := cfg.phases(map[string]Attrs{"tls": {"alpn": []string{"h2", "http/1.1"}, "session_cache": true}})
	if err != nil {
		return nil, err
	}
	p := &Pool{opts: opts, phases: phases, idle: map[string][]*warmConn{}, targets: map[string]Target{}, locks: map[string]chan struct{}{}, deadlines: deadlines{by: map[string]time.Time{}}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.tr = &http.Transport{
		Proxy:               p.deadlines.note, // preconnected connections go straight to the target: no proxy
		DialContext:         func(ctx context.Context, _, addr string) (net.Conn, error) { return p.dial(ctx, "http", addr) },
		DialTLSContext:      func(ctx context.Context, _, addr string) (net.Conn, error) { return p.dial(ctx, "https", addr) },
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: max(opts.PerTarget, 2),
		IdleConnTimeout:     opts.MaxIdle,
	}
	return p, nil
}

// Transport returns the pool's http.Transport. Use it in an http.Client
// (&http.Client{Transport: pool.Transport()}); change only fields that do
// not dial (timeouts, MaxConnsPerHost, ...). It uses no proxy. It dials
// through the pool for http and https URLs alike: a preconnected
// connection when one waits for the URL's host and port, else a new one
// through the same phases (and so the same resolvers and TLS settings).
//
// Deadlines: a request never waits past its own context's deadline (an
// http.Client's Timeout sets one); net/http returns when the context ends,
// dial or no dial. A connection made on demand has as its budget the later
// of two: the Timeout of the Target Warm was given for that host and port
// (DefaultTimeout, 5 s, for one never warmed) and the latest deadline of
// the requests to that host and port. So a request whose deadline is later
// than the Timeout is not cut short by it, and one whose deadline is
// earlier ends at its deadline. net/http detaches a dial from the request
// that started it, since the connection may serve the next request: the
// dial goes on after an earlier deadline, up to the Timeout, and a dial
// cannot see its request's context otherwise, so the pool learns each
// request's deadline from the Transport's Proxy hook (which returns no
// proxy): leave Proxy as it is.
//
// The Transport keeps up to max(PerTarget, 2) idle connections per host
// (MaxIdleConnsPerHost; 2 is net/http's default) and closes one idle for
// MaxIdle (IdleConnTimeout). It negotiates HTTP/2 when the server offers
// it (ForceAttemptHTTP2).
func (p *Pool) Transport() *http.Transport { return p.tr }

// establish makes one connection ahead of need and keeps it.
func (p *Pool) establish(ctx context.Context, key string, t Target) Result {
	c, r := connect(ctx, p.phases, t)
	if c == nil && p.ctx.Err() != nil {
		return r // cut short by Close: not news about the target
	}
	p.mu.Lock()
	if c == nil {
		p.stats.Failed++
	} else {
		p.stats.Warmed++
	}
	p.mu.Unlock()
	if c != nil {
		p.keep(&warmConn{key: key, conn: c, at: time.Now(), target: t})
	}
	p.onWarmM.Lock()
	defer p.onWarmM.Unlock()
	if p.opts.OnWarm != nil {
		p.opts.OnWarm(r)
	}
	return r
}

// keep puts w in the pool, watches it and arms its expiry; after Close it
// closes w instead.
func (p *Pool) keep(w *warmConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = w.conn.Close()
		return
	}
	w.conn.raw.watch(w.target.Protocol == "https", func(err error) { p.lost(w) })
	w.timer = time.AfterFunc(p.opts.MaxIdle, func() { p.expire(w) })
	p.idle[w.key] = append(p.idle[w.key], w)
}

// remove takes w out of the idle list; false when it was not there (taken,
// expired or lost already). Callers hold p.mu.
func (p *Pool) remove(w *warmConn) bool {
	list := p.idle[w.key]
	for i, x := range list {
		if x == w {
			p.idle[w.key] = append(list[:i:i], list[i+1:]...)
			if len(p.idle[w.key]) == 0 {
				delete(p.idle, w.key)
			}
			return true
		}
	}
	return false
}

// expire closes w after MaxIdle unused.
func (p *Pool) expire(w *warmConn) {
	p.mu.Lock()
	ok := p.remove(w)
	if ok {
		p.stats.Expired++
	}
	p.mu.Unlock()
	if ok {
		_ = w.conn.Close()
		p.replace(w)
	}
}

// lost closes w after its watcher saw the server close it.
func (p *Pool) lost(w *warmConn) {
	p.mu.Lock()
	ok := p.remove(w)
	if ok {
		p.stats.Stale++
	}
	p.mu.Unlock()
	if ok {
		w.timer.Stop()
		_ = w.conn.Close()
		p.replace(w)
	}
}

// dial is the Transport's dial hook for scheme ("http" or "https").
func (p *Pool) dial(ctx context.Context, scheme, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		return nil, fmt.Errorf("preconnect: the Transport dialled %q, not host:port", addr)
	}
	key := poolKey(scheme, host, port)
	if w := p.take(key); w != nil {
		report(ctx, DialInfo{Addr: addr, Preconnected: true, Age: time.Since(w.at), Result: w.conn.result, Conn: w.conn.Conn})
		return w.conn.Conn, nil
	}
	return p.dialNew(ctx, key, scheme, host, port, addr)
}

// dialNew makes a connection on demand through the phases, within the
// target's Timeout or the latest deadline of a request waiting for it,
// whichever is later.
func (p *Pool) dialNew(ctx context.Context, key, scheme, host string, port int, addr string) (net.Conn, error) {
	p.mu.Lock()
	t, ok := p.targets[key]
	p.stats.Dialed++
	p.mu.Unlock()
	if !ok {
		t, _ = Target{Host: host, Port: port, Protocol: scheme}.normalize()
	}
	t.Timeout = max(t.Timeout, p.deadlines.budget(key))
	c, r := connect(ctx, p.phases, t)
	info := DialInfo{Addr: addr, Result: r}
	if c != nil {
		info.Conn = c.Conn
	}
	report(ctx, info)
	if c == nil {
		return nil, r.Err
	}
	return c.Conn, nil
}

// take returns a usable preconnected connection for key, freshest first,
// discarding any the server closed, or nil.
func (p *Pool) take(key string) *warmConn {
	for {
		p.mu.Lock()
		list := p.idle[key]
		if len(list) == 0 {
			p.mu.Unlock()
			return nil
		}
		w := list[len(list)-1]
		p.remove(w)
		p.mu.Unlock()
		if !w.timer.Stop() { // expiring right now; expire will not find it
			p.discard(w, &p.stats.Expired)
			continue
		}
		if err := w.conn.raw.stop(); err != nil {
			p.discard(w, &p.stats.Stale)
			continue
		}
		p.mu.Lock()
		p.stats.Used++
		p.mu.Unlock()
		return w
	}
}

// discard closes w, which take removed, counts it and re-warms its slot.
func (p *Pool) discard(w *warmConn, counter *int) {
	_ = w.conn.Close()
	p.mu.Lock()
	*counter++
	p.mu.Unlock()
	p.replace(w)
}

// Stats returns what the pool has done so far.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	for _, list := range p.idle {
		s.Idle += len(list)
	}
	return s
}

// CloseWait bounds how long Close waits for the Warm calls and re-warming
// it cancelled to return: they end as soon as their phases notice, unless
// an OnWarm callback blocks.
const CloseWait = 5 * time.Second

// Close cancels Warm calls in flight and re-warming, closes every
// preconnected connection still waiting and the Transport's idle
// connections, and returns when every goroutine the pool started has
// ended and every Warm call has returned (their connections failing with
// kind canceled), or with an error after CloseWait if some have not (an
// OnWarm callback that does not return). Requests in flight finish; the
// Transport dials new connections through the phases afterwards, if used
// again. Close is safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	var waiting []*warmConn
	for _, list := range p.idle {
		waiting = append(waiting, list...)
	}
	p.idle = map[string][]*warmConn{}
	p.mu.Unlock()
	p.cancel()
	for _, w := range waiting {
		w.timer.Stop()
		_ = w.conn.Close()
		w.conn.raw.wait()
	}
	err := p.waitWarming()
	p.tr.CloseIdleConnections()
	return err
}

// waitWarming waits, at most CloseWait, for Warm calls and re-warming to
// end.
func (p *Pool) waitWarming() error {
	done := make(chan struct{})
	go func() {
		p.warms.Wait()
		p.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(CloseWait)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("preconnect: Close: Warm calls or re-warming still running after %s (an OnWarm callback that does not return?)", CloseWait)
	}
}

// poolKey identifies where a connection goes: scheme, host (lower case,
// without a final dot — "api.example." is the fully qualified form of
// "api.example", RFC 1034 §3.1 — IP literals in canonical form) and port.
func poolKey(scheme, host string, port int) string {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	} else {
		host = strings.TrimSuffix(host, ".")
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}
