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

// await fails the test if ch is not closed within 5 s.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not happen within 5s", what)
	}
}

// closeWithin closes s in the background and returns its error, failing
// the test if Close does not return within 5 s.
func closeWithin(t *testing.T, s *TCPServer) error {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
		return nil
	}
}

// mustEOF fails the test unless the next read on c ends with EOF.
func mustEOF(t *testing.T, c net.Conn, when string) {
	t.Helper()
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("%s: read %d bytes, %v; want EOF", when, n, err)
	}
}

func TestTCPServerHandsEachConnectionToItsHandler(t *testing.T) {
	s := ServeTest(t, func(c net.Conn) { _, _ = io.Copy(c, c) })
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
	if p := s.Port(); p == 0 || p != s.Addr().(*net.TCPAddr).Port {
		t.Errorf("Port = %d, Addr = %v", p, s.Addr())
	}
}

func TestTCPServerClosesTheConnectionWhenTheHandlerReturns(t *testing.T) {
	s := ServeTest(t, func(net.Conn) {})
	mustEOF(t, dial(t, s), "after the handler returned")
}

// Close ends a connection its handler would hold forever, and waits for
// that handler; a second Close returns the first one's result.
func TestTCPServerCloseEndsHeldConnections(t *testing.T) {
	started, returned := make(chan struct{}), make(chan struct{})
	s := ServeTCP(listen(t), func(c net.Conn) {
		defer close(returned)
		close(started)
		_, _ = io.Copy(io.Discard, c) // until the connection closes
	})
	c := dial(t, s)
	await(t, started, "the handler's start")
	if err := closeWithin(t, s); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-returned:
	default:
		t.Error("Close returned before the handler did")
	}
	mustEOF(t, c, "after Close")
	if _, err := net.DialTimeout("tcp", s.Addr().String(), time.Second); err == nil {
		t.Error("a connection after Close succeeded")
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
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
	await(t, started, "the handler's start")
	if err := closeWithin(t, s); err == nil || !strings.Contains(err.Error(), "still runs 100ms after Close") {
		t.Errorf("Close = %v, want an error about the running handler", err)
	}
}

// ServeTest closes the server when the test ends.
func TestServeTestClosesWhenTheTestEnds(t *testing.T) {
	var c net.Conn
	t.Run("serving", func(t *testing.T) {
		handling := make(chan struct{})
		s := ServeTest(t, func(c net.Conn) {
			close(handling)
			_, _ = io.Copy(io.Discard, c)
		})
		var err error
		if c, err = net.DialTimeout("tcp", s.Addr().String(), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		// Accepted and handled before the test ends: a connection still
		// in the listen queue would be reset, not closed, by Close.
		await(t, handling, "the handler's start")
	})
	if c == nil {
		t.FailNow()
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	mustEOF(t, c, "after the subtest")
}
