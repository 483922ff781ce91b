package preconnect

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// maxPending bounds what a watcher buffers from an idle connection: a TLS
// 1.3 server's session tickets and an HTTP/2 server's preface fit many
// times over.
const maxPending = 64 << 10

// stopWait bounds how long stopping a watcher may take. Setting a read
// deadline in the past wakes a blocked Read at once; this is a backstop.
const stopWait = time.Second

// watchedConn is the TCP connection under a preconnected one. While the
// connection waits in a Pool, a goroutine reads from it, so the pool
// learns at once when the server closes it (the way http.Transport
// watches its idle connections). What the goroutine reads while the
// connection is idle — a TLS session ticket, an HTTP/2 server preface,
// still encrypted — is handed back, in order, to the first Reads after
// the watch stops, so the TLS layer above sees the byte stream unchanged.
type watchedConn struct {
	net.Conn
	pending  []byte        // read while idle, not yet returned by Read
	done     chan struct{} // closed when the watcher goroutine exits
	stopping atomic.Bool
	err      error // why the watch ended on its own; set before done closes
}

func newWatchedConn(c net.Conn) *watchedConn { return &watchedConn{Conn: c} }

// Read returns the bytes read while idle first, then reads the socket.
// Only one goroutine reads at a time: the watcher while idle, the user
// after stop.
func (c *watchedConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// watch starts the watcher. dataOK says the server may send while the
// connection is idle (TLS); without TLS any byte means the connection is
// unusable, so a watch that stops cleanly has nothing pending and the
// connection underneath can be handed out as it is. lost is called (from the watcher's goroutine) when the server
// closed the connection or broke the rules; not when stop ended the watch.
func (c *watchedConn) watch(dataOK bool, lost func(error)) {
	c.done = make(chan struct{})
	go func() {
		defer close(c.done)
		if err := c.watchLoop(dataOK); err != nil {
			c.err = err
			lost(err)
		}
	}()
}

func (c *watchedConn) watchLoop(dataOK bool) error {
	buf := make([]byte, 4<<10)
	for {
		n, err := c.Conn.Read(buf)
		c.pending = append(c.pending, buf[:n]...)
		switch {
		case !dataOK && len(c.pending) > 0:
			return fmt.Errorf("the server sent %d bytes before any request", len(c.pending))
		case err != nil && c.stopping.Load() && errors.Is(err, os.ErrDeadlineExceeded):
			return nil
		case err != nil:
			return fmt.Errorf("closed by the server while idle: %w", err)
		case len(c.pending) > maxPending:
			return fmt.Errorf("the server sent more than %d bytes before any request", maxPending)
		}
	}
}

// stop ends the watch and returns why the connection cannot be used, or
// nil when it can. It is a no-op for a connection never watched.
func (c *watchedConn) stop() error {
	if c.done == nil {
		return nil
	}
	c.stopping.Store(true)
	_ = c.Conn.SetReadDeadline(time.Unix(1, 0))
	timer := time.NewTimer(stopWait)
	defer timer.Stop()
	select {
	case <-c.done:
	case <-timer.C:
		_ = c.Conn.Close()
		<-c.done
		return fmt.Errorf("the idle watch did not stop within %s", stopWait)
	}
	_ = c.Conn.SetReadDeadline(time.Time{})
	return c.err
}

// wait blocks until the watcher has exited, after the connection was
// closed.
func (c *watchedConn) wait() {
	if c.done != nil {
		<-c.done
	}
}
