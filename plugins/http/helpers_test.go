//go:build linux

package httpphase_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	httpphase "github.com/probe-net/probe/plugins/http"
	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

// testTimeout bounds every network wait in these tests.
const testTimeout = 5 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// seen is what a test server observed of one request.
type seen struct {
	Method, Path, Host, UserAgent, Remote string
	Header                                http.Header
	Close, TLS                            bool
}

// recorder collects the requests a net/http server received.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

func (rec *recorder) add(r *http.Request) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, seen{
		Method: r.Method, Path: r.URL.RequestURI(), Host: r.Host, UserAgent: r.UserAgent(),
		Remote: r.RemoteAddr, Header: r.Header.Clone(), Close: r.Close, TLS: r.TLS != nil,
	})
}

func (rec *recorder) all() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.reqs...)
}

// startHTTP serves handler on 127.0.0.1 and records every request.
func startHTTP(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

// startRaw runs a raw TCP server on 127.0.0.1: handle gets each accepted
// connection (with a deadline) and the connection is closed when it returns.
func startRaw(t *testing.T, handle func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(testTimeout))
				handle(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequestHead consumes one request head from br.
func readRequestHead(br *bufio.Reader) error {
	req, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err
}

// dial connects to addr the way the tcp phase would.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// targetOf is an http target for addr.
func targetOf(t *testing.T, addr string) sdk.Target {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return sdk.Target{Name: "test", Host: host, Port: p, Protocol: "http"}
}

// probe configures a fresh phase behind the RPC harness and runs it once
// over a new connection to addr.
func probe(t *testing.T, configJSON, addr string) (*sdk.Result, error) {
	t.Helper()
	h := sdktest.New(t, httpphase.New())
	if problems := h.Configure(t, configJSON); problems != nil {
		t.Fatalf("config %s rejected: %v", configJSON, problems)
	}
	return h.Run(testContext(t), &sdk.Request{Target: targetOf(t, addr), Conn: dial(t, addr)})
}

// checkTimings asserts the timing attributes are present, positive and
// consistent (first byte no later than the end of the headers).
func checkTimings(t *testing.T, res *sdk.Result) {
	t.Helper()
	ttfb, ok1 := res.Attributes["http.ttfb"].(time.Duration)
	write, ok2 := res.Attributes["http.write"].(time.Duration)
	if !ok1 || !ok2 {
		t.Fatalf("timing attributes missing or mistyped: %v", res.Attributes)
	}
	if res.Duration <= 0 || ttfb <= 0 || write <= 0 {
		t.Errorf("duration %v, ttfb %v, write %v: all must be > 0", res.Duration, ttfb, write)
	}
	if ttfb > res.Duration {
		t.Errorf("ttfb %v is later than the end of the headers %v", ttfb, res.Duration)
	}
}

// wantFailure asserts err's kind and exact message.
func wantFailure(t *testing.T, err error, kind sdk.ErrorKind, msg string) {
	t.Helper()
	if sdktest.Kind(err) != kind || err.Error() != msg {
		t.Fatalf("err = %v (kind %q), want %q (kind %q)", err, sdktest.Kind(err), msg, kind)
	}
}

// tlsBridge handshakes with srv from the test process and returns the
// plaintext end of a socket pair pumped to the TLS session, as the TLS
// plugin's bridge does in production.
func tlsBridge(t *testing.T, srv *httptest.Server) *net.UnixConn {
	t.Helper()
	cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = "example.com"
	tc := tls.Client(dial(t, srv.Listener.Addr().String()), cfg)
	if err := tc.HandshakeContext(testContext(t)); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	local, remote := unixConn(t, fds[0]), unixConn(t, fds[1])
	done := make(chan struct{})
	go func() {
		pump(local, tc)
		close(done)
	}()
	t.Cleanup(func() {
		remote.Close()
		local.Close()
		tc.Close()
		<-done
	})
	return remote
}

func unixConn(t *testing.T, fd int) *net.UnixConn {
	t.Helper()
	f := os.NewFile(uintptr(fd), "socketpair")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*net.UnixConn)
}

// pump copies both ways until both directions are done.
func pump(local *net.UnixConn, tc *tls.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(tc, local)
		_ = tc.CloseWrite()
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(local, tc)
		_ = local.CloseWrite()
	}()
	wg.Wait()
}
