//go:build linux

package tlsphase

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/probe-net/probe/sdk"
)

// handshake is what the test server saw of one TLS handshake.
type handshake struct {
	sni      string
	state    tls.ConnectionState
	clientCN string // "" when the client sent no certificate
	err      error
}

// tlsServer is a TLS echo server on 127.0.0.1: it handshakes each
// connection, reports the handshake and echoes what it reads.
type tlsServer struct {
	addr       netip.AddrPort
	handshakes chan handshake
}

func startServer(t *testing.T, cfg *tls.Config) *tlsServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &tlsServer{addr: netip.MustParseAddrPort(ln.Addr().String()), handshakes: make(chan handshake, 64)}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { s.serve(tls.Server(c, cfg)) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

func (s *tlsServer) serve(c *tls.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	err := c.Handshake()
	h := handshake{err: err, state: c.ConnectionState()}
	h.sni = h.state.ServerName
	if len(h.state.PeerCertificates) > 0 {
		h.clientCN = h.state.PeerCertificates[0].Subject.CommonName
	}
	select {
	case s.handshakes <- h:
	default: // nobody is looking
	}
	if err == nil {
		_, _ = io.Copy(c, c)
	}
}

// next waits (bounded) for the server's view of the next handshake.
func (s *tlsServer) next(t *testing.T) handshake {
	t.Helper()
	select {
	case h := <-s.handshakes:
		return h
	case <-time.After(5 * time.Second):
		t.Fatal("the server saw no handshake within 5s")
		return handshake{}
	}
}

// request dials the server and returns a request carrying the socket, as
// the TCP phase would hand it on.
func (s *tlsServer) request(t *testing.T, host string) *sdk.Request {
	t.Helper()
	return dialRequest(t, s.addr, host)
}

func dialRequest(t *testing.T, addr netip.AddrPort, host string) *sdk.Request {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &sdk.Request{Target: sdk.Target{Host: host, Port: int(addr.Port())}, Conn: c}
}

// echo writes through conn and expects the server to send it back.
func echo(t *testing.T, conn net.Conn, msg string) {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatalf("writing through the handed-on session: %v", err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatalf("reading the echo through the handed-on session: %v", err)
	}
	if string(buf) != msg {
		t.Fatalf("echo = %q, want %q", buf, msg)
	}
}

// testCtx bounds every run in these tests.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}
