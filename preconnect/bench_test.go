package preconnect_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"testing"
	"time"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/preconnect"
)

// BenchmarkFirstRequest measures the first GET to an upstream behind a
// delaying proxy (one-way delay on every byte, DNS included), three ways:
//
//	cold          a plain http.Transport: DNS, TCP, TLS and the request
//	preconnected  a Pool's Transport after Warm: the request alone
//	stale         a Pool whose warm connection the proxy closed (its idle
//	              timeout passed) before the request: the pool noticed,
//	              and the request dials on demand
//
// sleep/delay=D times time.Sleep(D) itself: what the proxies' delays really
// take on the machine at the time. sec/op is the request's latency (setup
// excluded). dns-ms, tcp-ms and
// tls-ms are what the request itself spent on those phases; ahead-ms is
// what the pool spent on them before the request (what preconnecting moved
// out of the request's way).
func BenchmarkFirstRequest(b *testing.B) {
	tb, err := testbed.Start(testbed.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer tb.Close()
	for _, delay := range []time.Duration{5 * time.Millisecond, 20 * time.Millisecond} {
		// What one of the proxies' sleeps really takes on this machine now:
		// the floor under every delayed figure.
		b.Run(fmt.Sprintf("sleep/delay=%s", delay), func(b *testing.B) {
			for b.Loop() {
				time.Sleep(delay)
			}
		})
		dns := delayUDP(b, tb.DNSAddr, delay)
		for _, c := range []struct{ scheme, host, upstream string }{
			{"https", "secure.probe.test", tb.HTTPSAddr},
			{"http", "www.probe.test", tb.HTTPAddr},
		} {
			e := benchEnv{tb: tb, dns: dns, scheme: c.scheme, host: c.host}
			prefix := fmt.Sprintf("%s/delay=%s", c.scheme, delay)
			e.addr = delayTCP(b, c.upstream, delay, 0)
			b.Run(prefix+"/cold", e.cold)
			b.Run(prefix+"/preconnected", func(b *testing.B) { e.pooled(b, false) })
			// The idle timeout must outlast any pause inside a handshake or a
			// request, even on a loaded machine, or it cuts them.
			e.addr = delayTCP(b, c.upstream, delay, 500*time.Millisecond)
			b.Run(prefix+"/stale", func(b *testing.B) { e.pooled(b, true) })
		}
	}
}

// benchEnv is one upstream behind the delaying proxies.
type benchEnv struct {
	tb           *testbed.Testbed
	dns, addr    string // delaying DNS and TCP proxies
	scheme, host string
}

func (e benchEnv) url(b *testing.B) string {
	return fmt.Sprintf("%s://%s:%d/", e.scheme, e.host, port(b, e.addr))
}

// phaseTimes accumulates per-phase milliseconds over b.N requests.
type phaseTimes struct{ dns, tcp, tls, ahead time.Duration }

func (p phaseTimes) report(b *testing.B) {
	n := float64(b.N) * 1e6
	b.ReportMetric(float64(p.dns)/n, "dns-ms/op")
	b.ReportMetric(float64(p.tcp)/n, "tcp-ms/op")
	b.ReportMetric(float64(p.tls)/n, "tls-ms/op")
	b.ReportMetric(float64(p.ahead)/n, "ahead-ms/op")
}

// cold sends each request through a new plain http.Transport that
// resolves through the delaying DNS proxy.
func (e benchEnv) cold(b *testing.B) {
	pem, err := os.ReadFile(e.tb.CAFile)
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", e.dns) // the delaying proxy, never the system's resolver
	}}
	dialer := &net.Dialer{Resolver: resolver}
	var times phaseTimes
	for b.Loop() {
		tr := &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}
		ctx, t := timed(context.Background())
		get(b, ctx, tr, e.url(b))
		times.dns, times.tcp, times.tls = times.dns+t.dns, times.tcp+t.tcp, times.tls+t.tls
		tr.CloseIdleConnections()
	}
	times.report(b)
}

// pooled warms a new Pool before each request (untimed); with stale, it
// waits until the proxy has closed the warm connection and the pool noticed.
func (e benchEnv) pooled(b *testing.B, stale bool) {
	cfg := preconnect.Config{
		DNS: preconnect.Attrs{"servers": []string{e.dns}},
		TLS: preconnect.Attrs{"ca_file": e.tb.CAFile},
	}
	target := preconnect.Target{Host: e.host, Port: port(b, e.addr), Protocol: e.scheme}
	var times phaseTimes
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		pool, err := preconnect.NewPool(cfg, preconnect.PoolOptions{})
		if err != nil {
			b.Fatal(err)
		}
		warm := pool.Warm(context.Background(), target)[0]
		if warm.Err != nil {
			b.Fatal(warm.Err)
		}
		if stale {
			waitFor(b, "the proxy to close the warm connection", func() bool { return pool.Stats().Stale == 1 })
		}
		var dial preconnect.DialInfo
		ctx := preconnect.WithTrace(context.Background(), &preconnect.Trace{Dial: func(d preconnect.DialInfo) { dial = d }})
		b.StartTimer()
		get(b, ctx, pool.Transport(), e.url(b))
		b.StopTimer()
		if dial.Preconnected == stale {
			b.Fatalf("stale %v, but the request's connection was preconnected: %v", stale, dial.Preconnected)
		}
		if dial.Preconnected {
			times.ahead += warm.DNS + warm.TCP + warm.TLS
		} else {
			times.dns, times.tcp, times.tls = times.dns+dial.Result.DNS, times.tcp+dial.Result.TCP, times.tls+dial.Result.TLS
		}
		pool.Close()
	}
	times.report(b)
}

// timed returns ctx with an httptrace that measures DNS, connect and TLS
// handshake into the returned phaseTimes once the request is done.
func timed(ctx context.Context) (context.Context, *phaseTimes) {
	t := &phaseTimes{}
	var dnsStart, connStart, tlsStart time.Time
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { dnsStart = time.Now() },
		DNSDone:           func(httptrace.DNSDoneInfo) { t.dns = time.Since(dnsStart) },
		ConnectStart:      func(string, string) { connStart = time.Now() },
		ConnectDone:       func(string, string, error) { t.tcp = time.Since(connStart) },
		TLSHandshakeStart: func() { tlsStart = time.Now() },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { t.tls = time.Since(tlsStart) },
	}), t
}
