//go:build linux

package sdktest_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

// dialPhase dials the target and hands the socket on.
type dialPhase struct{}

func (dialPhase) Describe() sdk.Description  { return sdk.Description{Name: "dial", Version: "test"} }
func (dialPhase) Configure(sdk.Config) error { return nil }
func (dialPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	var d net.Dialer
	start := time.Now()
	c, err := d.DialContext(ctx, "tcp", req.Target.HostPort())
	if err != nil {
		return nil, err
	}
	return &sdk.Result{Duration: time.Since(start), Conn: c, Attributes: sdk.Attributes{"dial.local": c.LocalAddr().String()}}, nil
}

// tlsPhase handshakes on the connection it is given and hands the session on
// (bridged by the SDK, since a *tls.Conn has no descriptor).
type tlsPhase struct{ roots *tls.Config }

func (tlsPhase) Describe() sdk.Description  { return sdk.Description{Name: "tls", Version: "test"} }
func (tlsPhase) Configure(sdk.Config) error { return nil }
func (p tlsPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	tc := tls.Client(req.Conn, p.roots)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return &sdk.Result{Conn: tc, Attributes: sdk.Attributes{"tls.version": tls.VersionName(tc.ConnectionState().Version)}}, nil
}

func TestConnectionTravelsThroughPhases(t *testing.T) {
	var accepted atomic.Int64
	var remote atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remote.Store(r.RemoteAddr)
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			accepted.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	var p int
	fmt.Sscan(port, &p)
	target := sdk.Target{Host: host, Port: p}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	dial := sdktest.New(t, dialPhase{})
	res, err := dial.Run(ctx, &sdk.Request{Target: target})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if res.Conn == nil || res.Duration <= 0 {
		t.Fatalf("dial result: conn %v, duration %v", res.Conn, res.Duration)
	}
	tcpConn := res.Conn
	defer tcpConn.Close()

	cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = "example.com"
	tlsRes, err := sdktest.New(t, tlsPhase{roots: cfg}).Run(ctx, &sdk.Request{Target: target, Conn: tcpConn})
	if err != nil {
		t.Fatalf("tls: %v", err)
	}
	if tlsRes.Attributes["tls.version"] != "TLS 1.3" {
		t.Errorf("tls.version = %v", tlsRes.Attributes["tls.version"])
	}
	plain := tlsRes.Conn
	defer plain.Close()
	fmt.Fprintf(plain, "HEAD / HTTP/1.1\r\nHost: example.com\r\n\r\n")
	_ = plain.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(plain), &http.Request{Method: http.MethodHead})
	if err != nil {
		t.Fatalf("reading response over the bridged TLS session: %v", err)
	}
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status = %d", resp.StatusCode)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want exactly 1", n)
	}
	if got, want := remote.Load(), res.Attributes["dial.local"]; got != want {
		t.Errorf("request came from %v, but the dial phase's socket was %v", got, want)
	}
}

type failPhase struct{}

func (failPhase) Describe() sdk.Description { return sdk.Description{Name: "fail"} }
func (failPhase) Configure(c sdk.Config) error {
	var cfg struct{ Port int }
	if err := c.Decode(&cfg); err != nil {
		return err
	}
	if cfg.Port > 65535 {
		return sdk.AttributeErrorf("port", "must be at most 65535, got %d", cfg.Port)
	}
	return nil
}
func (failPhase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	return &sdk.Result{Duration: time.Millisecond, Attributes: sdk.Attributes{"http.status": 503}},
		sdk.Errorf(sdk.KindHTTPStatus, "unexpected status %d", 503)
}

func TestFailureAndConfigProblemsCrossTheWire(t *testing.T) {
	h := sdktest.New(t, failPhase{})
	problems := h.Configure(t, `{"port": 70000}`)
	if len(problems) != 1 || problems[0].Attribute != "port" || problems[0].Err.Error() != "must be at most 65535, got 70000" {
		t.Fatalf("problems = %v", problems)
	}
	res, err := h.Run(context.Background(), &sdk.Request{})
	if sdktest.Kind(err) != sdk.KindHTTPStatus || err.Error() != "unexpected status 503" {
		t.Fatalf("err = %v (kind %q)", err, sdktest.Kind(err))
	}
	if res.Duration != time.Millisecond || res.Attributes["http.status"] != int64(503) {
		t.Fatalf("result = %+v", res)
	}
}

// A server that never answers close_notify must not keep a bridged session
// (and its socket) alive once the host has let go of it.
func TestBridgeEndsWhenHostReleasesIt(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS() // for its certificate and client config
	defer srv.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srv.TLS)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed := make(chan time.Time, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		_ = tc.Handshake()
		_, _ = io.Copy(io.Discard, tc) // returns at close_notify; the server answers nothing
		_ = tc.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = tc.NetConn().Read(make([]byte, 1)) // returns when the client's TCP FIN arrives
		closed <- time.Now()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tcp, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = "example.com"
	res, err := sdktest.New(t, tlsPhase{roots: cfg}).Run(ctx, &sdk.Request{Target: sdk.Target{Host: "example.com"}, Conn: tcp})
	if err != nil {
		t.Fatal(err)
	}
	tcp.Close()
	res.Conn.Close() // the host lets go: the plugin side must close the session
	released := time.Now()
	select {
	case at := <-closed:
		if d := at.Sub(released); d > 3*time.Second {
			t.Errorf("session closed %v after release", d)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the bridged session outlived its release")
	}
}

type patientPhase struct{}

func (patientPhase) Describe() sdk.Description  { return sdk.Description{Name: "patient"} }
func (patientPhase) Configure(sdk.Config) error { return nil }
func (patientPhase) Run(ctx context.Context, _ *sdk.Request) (*sdk.Result, error) {
	<-ctx.Done()
	return nil, sdk.Errorf(sdk.KindTimeout, "patient: gave up waiting")
}

// The context's deadline is the phase's budget, as in a real run: the
// phase's own timeout error comes back, not the RPC's.
func TestDeadlineIsThePhasesBudget(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := sdktest.New(t, patientPhase{}).Run(ctx, &sdk.Request{})
	if sdktest.Kind(err) != sdk.KindTimeout || err.Error() != "patient: gave up waiting" {
		t.Errorf("err = %v (kind %q)", err, sdktest.Kind(err))
	}
}
