package preconnect_test

import (
	"context"
	"crypto/tls"
	"net/http/httptrace"
	"strconv"
	"sync"
	"testing"

	"github.com/probe-net/probe/preconnect"
)

// httpEvents counts the httptrace events of one request.
type httpEvents struct {
	mu                     sync.Mutex
	dns, tlsStart, tlsDone int
	connect                []string // network addr
	gotConn                []httptrace.GotConnInfo
	handshakeErr           error
}

func httpTraced(ctx context.Context) (context.Context, *httpEvents) {
	ev := &httpEvents{}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { ev.mu.Lock(); ev.dns++; ev.mu.Unlock() },
		ConnectStart: func(network, addr string) {
			ev.mu.Lock()
			ev.connect = append(ev.connect, network+" "+addr)
			ev.mu.Unlock()
		},
		TLSHandshakeStart: func() { ev.mu.Lock(); ev.tlsStart++; ev.mu.Unlock() },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			ev.mu.Lock()
			ev.tlsDone++
			ev.handshakeErr = err
			ev.mu.Unlock()
		},
		GotConn: func(i httptrace.GotConnInfo) { ev.mu.Lock(); ev.gotConn = append(ev.gotConn, i); ev.mu.Unlock() },
	}), ev
}

// What the package doc says httptrace reports: for a preconnected https
// connection net/http still calls Handshake (a no-op, the handshake is
// done), so TLSHandshakeStart and Done fire; GotConnInfo.Reused is false,
// as for any connection the Transport has not used before; no DNS and no
// connect are reported. For one made on demand, the phases dial with the
// request's context: ConnectStart fires for each DNS query (udp to the DNS
// server) and for the TCP connect, but DNSStart never does (the dns phase
// asks its servers itself). DialInfo.Preconnected tells them apart.
func TestHTTPTraceOfPreconnectedConnections(t *testing.T) {
	tb := startTestbed(t)
	pool, err := preconnect.NewPool(testbedConfig(tb), preconnect.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	target := preconnect.Target{Host: "secure.probe.test", Port: port(t, tb.HTTPSAddr), Protocol: "https"}
	if r := pool.Warm(context.Background(), target); !r[0].OK() {
		t.Fatal(r[0].Err)
	}
	url := "https://secure.probe.test:" + strconv.Itoa(target.Port) + "/"
	for _, preconnected := range []bool{true, false} {
		if !preconnected {
			pool.Transport().CloseIdleConnections()
		}
		var dial preconnect.DialInfo
		ctx, ev := httpTraced(context.Background())
		ctx = preconnect.WithTrace(ctx, &preconnect.Trace{Dial: func(d preconnect.DialInfo) { dial = d }})
		get(t, ctx, pool.Transport(), url)
		ev.mu.Lock()
		if dial.Preconnected != preconnected {
			t.Errorf("preconnected %v: DialInfo says %v", preconnected, dial.Preconnected)
		}
		if ev.tlsStart != 1 || ev.tlsDone != 1 || ev.handshakeErr != nil {
			t.Errorf("preconnected %v: TLSHandshakeStart %d, Done %d (%v); want one each", preconnected, ev.tlsStart, ev.tlsDone, ev.handshakeErr)
		}
		if len(ev.gotConn) != 1 || ev.gotConn[0].Reused {
			t.Errorf("preconnected %v: GotConn %+v, want one, not reused", preconnected, ev.gotConn)
		}
		var toDNS, toServer int
		for _, c := range ev.connect {
			switch c {
			case "udp " + tb.DNSAddr:
				toDNS++
			case "tcp4 " + tb.HTTPSAddr:
				toServer++
			default:
				t.Errorf("preconnected %v: ConnectStart %s", preconnected, c)
			}
		}
		if preconnected && len(ev.connect) != 0 || !preconnected && (toDNS == 0 || toServer != 1) {
			t.Errorf("preconnected %v: ConnectStart %q; want none, or the DNS queries and one connect", preconnected, ev.connect)
		}
		if ev.dns != 0 {
			t.Errorf("preconnected %v: DNSStart fired %d times", preconnected, ev.dns)
		}
		ev.mu.Unlock()
	}
}
