package preconnect_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-net/probe/preconnect"
	"github.com/probe-net/probe/sdk"
)

// The proof: after Warm, the first request makes no DNS query,
// opens no connection and does no handshake; httptrace sees no lookup and
// no connect, and the connection it got is the preconnected one.
func TestPoolFirstRequestNeedsNoNewConnection(t *testing.T) {
	tb := startTestbed(t)
	for _, c := range []struct {
		name, host, server, scheme, addr string
	}{
		{"http", "www.probe.test", "http", "http", tb.HTTPAddr},
		{"https", "secure.probe.test", "https", "https", tb.HTTPSAddr},
	} {
		t.Run(c.name, func(t *testing.T) {
			pool, err := preconnect.NewPool(testbedConfig(tb), preconnect.PoolOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			target := preconnect.Target{Host: c.host, Port: port(t, c.addr), Protocol: c.scheme}
			res := pool.Warm(context.Background(), target)
			if len(res) != 1 || !res[0].OK() {
				t.Fatalf("Warm = %+v", res)
			}
			want := "dns,tcp"
			if c.scheme == "https" {
				want = "dns,tcp,tls"
			}
			if got := phaseNames(res[0]); got != want {
				t.Errorf("warm phases %s, want %s", got, want)
			}
			// The server counts a connection when it accepts it and a
			// handshake when it has verified the client's Finished: both
			// may lag behind the client's view.
			wantHandshakes := int64(0)
			if c.scheme == "https" {
				wantHandshakes = 1
			}
			waitFor(t, "the server to count the warm connection", func() bool {
				return tb.Accepted(c.server) == 1 && tb.Handshakes() == wantHandshakes
			})
			accepted, handshakes, queries := tb.Accepted(c.server), tb.Handshakes(), len(tb.DNSQueries())
			if queries == 0 {
				t.Fatal("warming made no DNS query")
			}

			ctx, ev := traced(context.Background())
			resp := get(t, ctx, pool.Transport(), c.scheme+"://"+c.host+":"+strings.Split(c.addr, ":")[1]+"/")
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
			if n := tb.Accepted(c.server); n != accepted {
				t.Errorf("the request made the server accept %d new connections", n-accepted)
			}
			if n := tb.Handshakes(); n != handshakes {
				t.Errorf("the request made %d new TLS handshakes", n-handshakes)
			}
			if n := len(tb.DNSQueries()); n != queries {
				t.Errorf("the request made %d new DNS queries", n-queries)
			}
			reqs := tb.Requests(c.server)
			if len(reqs) != 1 || reqs[0].RemoteAddr != res[0].Phases[1].Attributes["tcp.local"] {
				t.Errorf("server saw %+v; want one request from the warm connection's %v", reqs, res[0].Phases[1].Attributes["tcp.local"])
			}
			ev.mu.Lock()
			defer ev.mu.Unlock()
			if ev.dnsStarts != 0 || ev.connectStart != 0 {
				t.Errorf("httptrace saw %d DNS lookups and %d connects", ev.dnsStarts, ev.connectStart)
			}
			if len(ev.dials) != 1 || !ev.dials[0].Preconnected || ev.dials[0].Conn == nil {
				t.Fatalf("preconnect trace: %+v", ev.dials)
			}
			if !ev.gotConn || ev.got.Conn != ev.dials[0].Conn {
				t.Errorf("httptrace GotConn %+v is not the preconnected connection %v", ev.got, ev.dials[0].Conn)
			}
			// DialInfo.Conn is a type of the standard library's, as documented.
			switch conn := ev.dials[0].Conn.(type) {
			case *tls.Conn:
				if c.scheme != "https" {
					t.Errorf("http connection is a %T", conn)
				}
			case *net.TCPConn:
				if c.scheme != "http" {
					t.Errorf("https connection is a %T", conn)
				}
			default:
				t.Errorf("DialInfo.Conn is a %T, want *tls.Conn or *net.TCPConn", conn)
			}
			if s := pool.Stats(); s.Used != 1 || s.Dialed != 0 || s.Warmed != 1 || s.Idle != 0 {
				t.Errorf("pool stats %+v", s)
			}
		})
	}
}

func phaseNames(r preconnect.Result) string {
	var names []string
	for _, p := range r.Phases {
		names = append(names, p.Name)
	}
	return strings.Join(names, ",")
}

// A server offering h2 gets HTTP/2 on the preconnected connection.
func TestPoolNegotiatesHTTP2(t *testing.T) {
	srv := startServer(t, true, true, 0)
	pool, err := preconnect.NewPool(srv.config(), preconnect.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	res := pool.Warm(context.Background(), srv.target(t))
	if !res[0].OK() || res[0].TLSInfo == nil || res[0].TLSInfo.ALPN != "h2" {
		t.Fatalf("Warm = %+v", res[0])
	}
	if got := phaseNames(res[0]); got != "dns,tcp,tls" || res[0].Phases[0].Status != preconnect.Skipped {
		t.Errorf("phases %s, dns %s; want dns skipped for an IP literal", got, res[0].Phases[0].Status)
	}
	for i := range 3 {
		ctx, ev := traced(context.Background())
		resp := get(t, ctx, pool.Transport(), srv.URL+"/")
		if resp.ProtoMajor != 2 {
			t.Errorf("request %d: %s, want HTTP/2", i, resp.Proto)
		}
		if i == 0 && (len(ev.dials) != 1 || !ev.dials[0].Preconnected || ev.got.Conn != ev.dials[0].Conn) {
			t.Errorf("first request: dials %+v, got %+v", ev.dials, ev.got)
		}
		if i > 0 && (len(ev.dials) != 0 || !ev.got.Reused) {
			t.Errorf("request %d: dials %+v, reused %v; want the HTTP/2 connection again", i, ev.dials, ev.got.Reused)
		}
	}
	if n := srv.accepted.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want the preconnected one only", n)
	}
}

// After a request has carried the session ticket, a new connection made
// on demand resumes the TLS session.
func TestPoolResumesTLSOnNewConnections(t *testing.T) {
	tb := startTestbed(t)
	pool, err := preconnect.NewPool(testbedConfig(tb), preconnect.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	url := "https://secure.probe.test:" + strings.Split(tb.HTTPSAddr, ":")[1] + "/"
	target := preconnect.Target{Host: "secure.probe.test", Port: port(t, tb.HTTPSAddr), Protocol: "https"}
	if r := pool.Warm(context.Background(), target); !r[0].OK() || r[0].TLSInfo.Resumed {
		t.Fatalf("Warm = %+v", r[0])
	}
	get(t, context.Background(), pool.Transport(), url)
	pool.Transport().CloseIdleConnections()
	ctx, ev := traced(context.Background())
	get(t, ctx, pool.Transport(), url)
	if len(ev.dials) != 1 || ev.dials[0].Preconnected {
		t.Fatalf("dials %+v; want one made on demand", ev.dials)
	}
	info := ev.dials[0].Result.TLSInfo
	if info == nil || !info.Resumed {
		t.Errorf("on-demand connection's TLS %+v, want resumed", info)
	}
	if s := pool.Stats(); s.Dialed != 1 || s.Used != 1 {
		t.Errorf("pool stats %+v", s)
	}
}

// A connection left unused past MaxIdle is closed; with Rewarm it is
// replaced, and the replacement serves the first request.
func TestPoolExpiresAndRewarms(t *testing.T) {
	tb := startTestbed(t)
	for _, rewarm := range []bool{false, true} {
		tb.Reset()
		var onWarm atomic.Int64
		pool, err := preconnect.NewPool(testbedConfig(tb), preconnect.PoolOptions{MaxIdle: 200 * time.Millisecond, Rewarm: rewarm,
			OnWarm: func(r preconnect.Result) {
				if r.OK() {
					onWarm.Add(1)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		target := preconnect.Target{Host: "www.probe.test", Port: port(t, tb.HTTPAddr), Protocol: "http"}
		pool.Warm(context.Background(), target)
		if rewarm {
			waitFor(t, "a re-warm", func() bool { s := pool.Stats(); return s.Expired >= 1 && s.Warmed >= 2 && s.Idle == 1 })
			if n, s := tb.Accepted("http"), pool.Stats(); n < int64(s.Warmed) {
				t.Errorf("server accepted %d connections, pool says it warmed %d", n, s.Warmed)
			}
		} else {
			waitFor(t, "the expiry", func() bool { s := pool.Stats(); return s.Expired == 1 && s.Idle == 0 })
		}
		ctx, ev := traced(context.Background())
		get(t, ctx, pool.Transport(), "http://www.probe.test:"+strings.Split(tb.HTTPAddr, ":")[1]+"/")
		if len(ev.dials) != 1 || ev.dials[0].Preconnected != rewarm {
			t.Errorf("rewarm %v: dials %+v", rewarm, ev.dials)
		}
		pool.Close()
		if s := pool.Stats(); s.Warmed > 1 && !rewarm {
			t.Errorf("without Rewarm the pool warmed %d connections", s.Warmed)
		} else if int64(s.Warmed) != onWarm.Load() {
			t.Errorf("OnWarm saw %d connections, the pool warmed %d", onWarm.Load(), s.Warmed)
		}
	}
}

// A server that closes the waiting connection (its idle timeout passed) is
// noticed at once: the connection is dropped, never handed out, and the
// request gets a new one.
func TestPoolDropsConnectionsTheServerClosed(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		srv := startServer(t, useTLS, false, 100*time.Millisecond) // an HTTP/2 server waits 10 s for the client preface
		pool, err := preconnect.NewPool(srv.config(), preconnect.PoolOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r := pool.Warm(context.Background(), srv.target(t)); !r[0].OK() {
			t.Fatalf("Warm = %+v", r[0])
		}
		waitFor(t, "the pool to notice the server's close", func() bool { s := pool.Stats(); return s.Stale == 1 && s.Idle == 0 })
		ctx, ev := traced(context.Background())
		resp := get(t, ctx, pool.Transport(), srv.URL+"/")
		if resp.StatusCode != 200 || len(ev.dials) != 1 || ev.dials[0].Preconnected {
			t.Errorf("tls %v: status %d, dials %+v", useTLS, resp.StatusCode, ev.dials)
		}
		pool.Close()
	}
}

func TestPoolRejects(t *testing.T) {
	if _, err := preconnect.NewPool(preconnect.Config{TLS: preconnect.Attrs{"alpm": []string{"h2"}}}, preconnect.PoolOptions{}); err == nil ||
		!strings.Contains(err.Error(), `preconnect: tls config: unknown attribute "alpm"`) {
		t.Errorf("unknown attribute: %v", err)
	}
	if _, err := preconnect.NewPool(preconnect.Config{TCP: preconnect.Attrs{"attempt_delay": 5}}, preconnect.PoolOptions{}); err == nil ||
		!strings.Contains(err.Error(), "preconnect: tcp config: attempt_delay:") {
		t.Errorf("bad value: %v", err)
	}
	srv := startServer(t, false, false, 0)
	pool, err := preconnect.NewPool(srv.config(), preconnect.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	r := pool.Warm(context.Background(), preconnect.Target{Host: "127.0.0.1", Port: 1, Protocol: "tcp"}, preconnect.Target{Protocol: "http"})
	for i, want := range []string{"a Pool warms http and https targets", "host must not be empty"} {
		var e *preconnect.Error
		if r[i].Err == nil || !asErr(r[i].Err, &e) || e.Kind != sdk.KindInput || !strings.Contains(e.Error(), want) {
			t.Errorf("result %d: %v, want kind input %q", i, r[i].Err, want)
		}
	}
	if s := pool.Stats(); s.Warmed != 0 || srv.accepted.Load() != 0 {
		t.Errorf("stats %+v after rejected targets", s)
	}
	pool.Close()
	var e *preconnect.Error
	if r := pool.Warm(context.Background(), srv.target(t)); !asErr(r[0].Err, &e) || e.Kind != sdk.KindCanceled {
		t.Errorf("Warm after Close: %v, want kind canceled", r[0].Err)
	}
	if s := pool.Stats(); s.Idle != 0 || s.Warmed != 0 || s.Failed != 0 {
		t.Errorf("stats %+v after Warm after Close", s)
	}
}

// A connection made on demand runs within the request's deadline, not the
// target's shorter Timeout: a handshake that takes longer than the target's
// Timeout but fits the request's deadline succeeds; a request deadline
// shorter than the Timeout still cuts the dial short.
func TestPoolOnDemandDialHasTheRequestDeadline(t *testing.T) {
	srv := startServer(t, true, false, 0)
	slow := delayTCP(t, srv.Listener.Addr().String(), 150*time.Millisecond, 0) // a handshake takes two one-way trips or more
	pool, err := preconnect.NewPool(srv.config(), preconnect.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	target := preconnect.Target{Host: "127.0.0.1", Port: port(t, slow), Protocol: "https", Timeout: 100 * time.Millisecond}
	if r := pool.Warm(context.Background(), target); !errors.Is(r[0].Err, context.DeadlineExceeded) {
		t.Fatalf("Warm with a 100ms Timeout through a 150ms delay: %v, want a timeout", r[0].Err)
	}
	url := "https://" + slow + "/"
	resp := get(t, context.Background(), pool.Transport(), url) // get gives the request a 10 s deadline
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}

	pool.Transport().CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if _, err := pool.Transport().RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a request with a 100ms deadline: %v, want it cut short", err)
	}
}

// A name with a final dot is the same host as without it: a target warmed
// as "www.probe.test." serves a request to "www.probe.test", and the other
// way round.
func TestPoolMatchesHostsWithAndWithoutTheFinalDot(t *testing.T) {
	tb := startTestbed(t)
	httpPort := port(t, tb.HTTPAddr)
	for _, c := range []struct{ warm, request string }{
		{"www.probe.test.", "www.probe.test"},
		{"www.probe.test", "www.probe.test."},
	} {
		pool, err := preconnect.NewPool(testbedConfig(tb), preconnect.PoolOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r := pool.Warm(context.Background(), preconnect.Target{Host: c.warm, Port: httpPort, Protocol: "http"}); !r[0].OK() {
			t.Fatalf("Warm %s: %v", c.warm, r[0].Err)
		}
		ctx, ev := traced(context.Background())
		get(t, ctx, pool.Transport(), "http://"+c.request+":"+strconv.Itoa(httpPort)+"/")
		if len(ev.dials) != 1 || !ev.dials[0].Preconnected {
			t.Errorf("warmed %q, requested %q: dials %+v, want the preconnected connection", c.warm, c.request, ev.dials)
		}
		pool.Close()
	}
}
