package loopback

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func dial(t *testing.T, s *TCPServer) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func TestTCPServerHandsEachConnectionToItsHandler(t *testing.T) {
	s := ServeTCP(listen(t), func(c net.Conn) { _, _ = io.Copy(c, c) })
	defer s.Close()
	for i, msg := range []string{"one", "two"} {
		c := dial(t, s)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
			t.Fatalf("connection %d: read %q, %v; want %q echoed", i, got, err, msg)
		}
	}
	if n := s.Accepted(); n != 2 {
		t.Errorf("Accepted = %d, want 2", n)
	}
}

func TestTCPServerClosesTheConnectionWhenTheHandlerReturns(t *testing.T) {
	s := ServeTCP(listen(t), func(net.Conn) {})
	defer s.Close()
	c := dial(t, s)
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read %d bytes, %v; want EOF", n, err)
	}
}

// Close ends a connection its handler would hold forever, and waits for
// that handler.
func TestTCPServerCloseEndsHeldConnections(t *testing.T) {
	started, returned := make(chan struct{}), make(chan struct{})
	s := ServeTCP(listen(t), func(c net.Conn) {
		defer close(returned)
		close(started)
		_, _ = io.Copy(io.Discard, c) // until the connection closes
	})
	c := dial(t, s)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not start within 5s")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
	}
	select {
	case <-returned:
	default:
		t.Error("Close returned before the handler did")
	}
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("client read %d bytes, %v after Close; want EOF", n, err)
	}
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Error("a connection after Close succeeded")
	}
}

// A handler that ignores its closed connection does not hold Close past
// its bound; Close says so.
func TestTCPServerCloseIsBounded(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{})
	defer close(release)
	s := ServeTCP(listen(t), func(net.Conn) {
		close(started)
		<-release
	})
	s.closeWait = 100 * time.Millisecond
	dial(t, s)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not start within 5s")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err == nil || !strings.Contains(err.Error(), "still runs 100ms after Close") {
			t.Errorf("Close = %v, want an error about the running handler", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s with a 100ms bound")
	}
}
