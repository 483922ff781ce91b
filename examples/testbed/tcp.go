package testbed

import (
	"errors"
	"io"
	"net"
	"sync"
)

// echoServer accepts TCP connections and echoes what it reads until the
// client closes; a client that sends nothing is simply held open. Close
// ends every connection.
type echoServer struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startEcho(ln net.Listener) *echoServer {
	s := &echoServer{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

func (s *echoServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // transient (EMFILE and the like)
		}
		if !s.track(c) {
			c.Close()
			return
		}
		s.wg.Add(1)
		go s.echo(c)
	}
}

// track registers c; it reports false once the server is closing.
func (s *echoServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *echoServer) echo(c net.Conn) {
	defer s.wg.Done()
	_, _ = io.Copy(c, c)
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *echoServer) close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
	s.mu.Unlock()
	s.wg.Wait()
	return err
}
