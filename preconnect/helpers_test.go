package preconnect_test

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/preconnect"
)

// startTestbed starts the loopback testbed for one test.
func startTestbed(t *testing.T) *testbed.Testbed {
	t.Helper()
	tb, err := testbed.Start(testbed.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

// testbedConfig resolves through the testbed's DNS server only (never the
// system resolver) and trusts its CA.
func testbedConfig(tb *testbed.Testbed) preconnect.Config {
	return preconnect.Config{
		DNS: preconnect.Attrs{"servers": []string{tb.DNSAddr}},
		TLS: preconnect.Attrs{"ca_file": tb.CAFile},
	}
}

func port(t testing.TB, hostport string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	fmt.Sscan(p, &n)
	return n
}

// closedPort returns a loopback port nothing listens on (it was free a
// moment ago): connecting to it is refused.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, ln.Addr().String())
	ln.Close()
	return p
}

// events is what one request's traces reported.
type events struct {
	mu                      sync.Mutex
	dnsStarts, connectStart int
	got                     httptrace.GotConnInfo
	gotConn                 bool
	dials                   []preconnect.DialInfo
}

// traced returns ctx carrying an httptrace.ClientTrace and a
// preconnect.Trace that record into the returned events.
func traced(ctx context.Context) (context.Context, *events) {
	ev := &events{}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart:     func(httptrace.DNSStartInfo) { ev.mu.Lock(); ev.dnsStarts++; ev.mu.Unlock() },
		ConnectStart: func(string, string) { ev.mu.Lock(); ev.connectStart++; ev.mu.Unlock() },
		GotConn: func(info httptrace.GotConnInfo) {
			ev.mu.Lock()
			ev.got, ev.gotConn = info, true
			ev.mu.Unlock()
		},
	})
	return preconnect.WithTrace(ctx, &preconnect.Trace{Dial: func(d preconnect.DialInfo) {
		ev.mu.Lock()
		ev.dials = append(ev.dials, d)
		ev.mu.Unlock()
	}}), ev
}

// get sends GET url through tr with ctx, drains the body and returns the
// response (body closed).
func get(t testing.TB, ctx context.Context, tr http.RoundTripper, url string) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// waitFor polls cond every 10 ms for at most 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after 5s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// server is an httptest server on 127.0.0.1 that counts connections.
type server struct {
	*httptest.Server
	accepted atomic.Int64
	caFile   string // TLS only: the server's certificate as a CA
}

// startServer starts an HTTP server; with useTLS it serves TLS with ALPN
// h2 and http/1.1 when h2 is set. idle > 0 makes the server close a
// connection that sends no request within it (ReadHeaderTimeout for
// HTTP/1.1, IdleTimeout for HTTP/2).
func startServer(t *testing.T, useTLS, h2 bool, idle time.Duration) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s", r.Proto)
	}))
	s.Listener = countingListener{Listener: s.Listener, n: &s.accepted}
	s.Config.ReadHeaderTimeout, s.Config.IdleTimeout = idle, idle
	s.EnableHTTP2 = h2
	if !useTLS {
		s.Start()
		t.Cleanup(s.Close)
		return s
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	block := &pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}
	if err := os.WriteFile(s.caFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// target is s as a target on its IP literal: no DNS.
func (s *server) target(t *testing.T) preconnect.Target {
	proto := "http"
	if s.TLS != nil {
		proto = "https"
	}
	return preconnect.Target{Host: "127.0.0.1", Port: port(t, s.Listener.Addr().String()), Protocol: proto}
}

// config trusts s's certificate; the DNS phase points at a closed port, so
// any lookup would fail rather than reach the system resolver.
func (s *server) config() preconnect.Config {
	cfg := preconnect.Config{DNS: preconnect.Attrs{"servers": []string{"127.0.0.1:9"}, "timeout": "200ms", "attempts": 1}}
	if s.caFile != "" {
		cfg.TLS = preconnect.Attrs{"ca_file": s.caFile}
	}
	return cfg
}

// outline is one probe as phase:status[:kind] items, the part of a result
// that must not differ between the CLI and the library.
func outline(r preconnect.Result) string {
	var out []string
	for _, p := range r.Phases {
		s := p.Name + ":" + string(p.Status)
		if p.Err != nil {
			s += ":" + string(p.Err.Kind)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func asErr(err error, target **preconnect.Error) bool {
	e, ok := err.(*preconnect.Error)
	*target = e
	return ok
}
