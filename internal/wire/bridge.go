//go:build linux

package wire

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/probe-net/probe/internal/fdpass"
)

// socketOf reports whether c is a kernel socket that can be passed as is.
func socketOf(c net.Conn) (syscall.Conn, bool) {
	switch s := c.(type) {
	case *net.TCPConn:
		return s, true
	case *net.UnixConn:
		return s, true
	}
	return nil, false
}

// bridge hands on a connection that has no descriptor of its own (a TLS
// session, say). It creates a stream socket pair, sends one end under id and
// pumps bytes between the other end and conn until either side closes. Then
// it closes conn and in, the connection conn was built on.
//
// The pump ends when every holder of the sent end has closed it (the host
// closes its handle when the probe ends) or when the peer closes conn. In
// the first case the peer gets close_notify and lingerAfterRelease to finish
// what it was sending; a peer that ignores close_notify cannot keep the
// session, its socket and the pump's goroutines alive.
func bridge(ctx context.Context, ch *fdpass.Channel, id uint64, in, conn net.Conn) error {
	local, remote, err := streamPair()
	if err != nil {
		closeQuietly(conn)
		closeQuietly(in)
		return err
	}
	if err := ch.Send(ctx, id, remote); err != nil {
		closeQuietly(remote)
		closeQuietly(local)
		closeQuietly(conn)
		closeQuietly(in)
		return err
	}
	closeQuietly(remote) // the host holds it now
	go pump(local, conn, in)
	return nil
}

// pumpBuffers are the pump's copy buffers, 16 KB (a TLS record's
// plaintext at most). io.Copy made a new 32 KB buffer each way for every
// bridged session: 44% of the bytes the TLS plugin allocated at
// concurrency 64, and the GC work that goes with them.
var pumpBuffers = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// copyPooled copies src to dst through a pooled buffer. The wrappers hide
// ReadFrom and WriteTo, which would make io.CopyBuffer ignore the buffer
// and allocate its own.
func copyPooled(dst io.Writer, src io.Reader) {
	buf := pumpBuffers.Get().(*[]byte)
	defer pumpBuffers.Put(buf)
	_, _ = io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, *buf)
}

// lingerAfterRelease is how long a bridged session may still deliver data
// after the host released it.
const lingerAfterRelease = time.Second

func pump(local *net.UnixConn, conn, in net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // host -> peer
		defer wg.Done()
		copyPooled(conn, local)
		closeWrite(conn)
		_ = conn.SetReadDeadline(time.Now().Add(lingerAfterRelease))
	}()
	go func() { // peer -> host
		defer wg.Done()
		copyPooled(local, conn)
		_ = local.CloseWrite()
	}()
	wg.Wait()
	closeQuietly(conn)
	closeQuietly(local)
	if in != nil {
		closeQuietly(in)
	}
}

// closeWrite half-closes c where the type allows (a *tls.Conn sends
// close_notify), else closes it.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		return
	}
	closeQuietly(c)
}

// streamPair makes the bridge's socket pair: local is pumped here; remote
// is only sent to the host, so it stays a bare descriptor.
func streamPair() (local *net.UnixConn, remote *fdpass.Socket, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("bridge: socketpair: %w", err)
	}
	local, err = unixConn(fds[0], "bridge-local")
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	return local, fdpass.NewSocket(fds[1]), nil
}

func unixConn(fd int, name string) (*net.UnixConn, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	return c.(*net.UnixConn), nil
}
