package loopback

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// CloseWait bounds how long TCPServer.Close waits for the handlers once it
// has closed their connections.
const CloseWait = 10 * time.Second

// TCPServer accepts connections on a listener and hands each to a handler
// in its own goroutine. It counts the connections it accepts. Close ends
// every connection and waits for the handlers (at most CloseWait).
type TCPServer struct {
	ln        net.Listener
	handle    func(net.Conn)
	accepted  atomic.Int64
	closeWait time.Duration // CloseWait; shorter in this package's tests

	mu    sync.Mutex
	conns map[net.Conn]struct{} // nil once closing
	wg    sync.WaitGroup

	closing  sync.Once
	closeErr error
}

// ServeTCP serves ln with handle until Close. Each connection is closed
// when handle returns; handle need not close it. A handler should return
// once its connection is closed (a read or write on it fails): Close waits
// for that.
func ServeTCP(ln net.Listener, handle func(net.Conn)) *TCPServer {
	s := &TCPServer{ln: ln, handle: handle, closeWait: CloseWait, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

// TB is the part of testing.TB that ServeTest uses (this package does not
// import testing: the testbed's command links it).
type TB interface {
	Helper()
	Fatal(args ...any)
	Error(args ...any)
	Cleanup(func())
}

// ServeTest is ServeTCP on a free port of 127.0.0.1 for the length of a
// test or benchmark: it fails tb if it cannot listen, and closes the server
// when tb ends, reporting Close's error.
func ServeTest(tb TB, handle func(net.Conn)) *TCPServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := ServeTCP(ln, handle)
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// Addr is the listener's address (a *net.TCPAddr for a TCP listener).
func (s *TCPServer) Addr() net.Addr { return s.ln.Addr() }

// Port is the listener's port (0 if it is not a TCP listener).
func (s *TCPServer) Port() int {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Accepted is how many connections the server has accepted.
func (s *TCPServer) Accepted() int64 { return s.accepted.Load() }

func (s *TCPServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like: do not spin
			continue
		}
		s.accepted.Add(1)
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.handle(c)
		}()
	}
}

// track registers c; it reports false once the server is closing.
func (s *TCPServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *TCPServer) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// Close closes the listener and every connection, then waits up to
// CloseWait for the accept loop and the handlers to return. It returns the
// listener's Close error, joined with an error saying so if a handler was
// still running after CloseWait (it is left running). Later calls return
// the first call's error.
func (s *TCPServer) Close() error {
	s.closing.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *TCPServer) close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return err
	case <-time.After(s.closeWait):
		return errors.Join(err, fmt.Errorf("loopback: a handler of the server on %s still runs %v after Close", s.ln.Addr(), s.closeWait))
	}
}
