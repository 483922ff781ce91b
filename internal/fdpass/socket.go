//go:build linux

package fdpass

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Socket is a socket held by its bare descriptor. Sending it on (Send takes
// any syscall.Conn), shutting it down and closing it cost one system call
// each, where making a net.Conn of a received descriptor (net.FileConn)
// costs about eight: dup, fcntl, getsockopt, getsockname, getpeername,
// epoll_ctl, and the close of the original. The host, which only passes
// sockets from one plugin to the next, was making two of those per https
// probe. Read, Write, the deadlines and the addresses make it a full
// net.Conn on first use, so a caller that does talk over it (package
// preconnect) still can. It is safe for concurrent use.
type Socket struct {
	mu     sync.Mutex
	fd     int      // -1 once closed or converted
	conn   net.Conn // set on first use as a net.Conn
	err    error    // why the conversion failed
	closed bool
}

// NewSocket takes ownership of fd.
func NewSocket(fd int) *Socket { return &Socket{fd: fd} }

var errSocketClosed = fmt.Errorf("fd channel: socket: %w", net.ErrClosed)

// SyscallConn gives access to the descriptor (only Control is supported
// until the socket is used as a net.Conn).
func (s *Socket) SyscallConn() (syscall.RawConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return s.conn.(syscall.Conn).SyscallConn()
	}
	if s.closed {
		return nil, errSocketClosed
	}
	return rawSocket{s}, nil
}

// rawSocket is the RawConn of a Socket not yet converted.
type rawSocket struct{ s *Socket }

func (r rawSocket) Control(f func(fd uintptr)) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.s.conn != nil {
		raw, err := r.s.conn.(syscall.Conn).SyscallConn()
		if err != nil {
			return err
		}
		return raw.Control(f)
	}
	if r.s.closed {
		return errSocketClosed
	}
	f(uintptr(r.s.fd))
	return nil
}

var errNotPolled = errors.New("fd channel: socket: Read and Write of the raw descriptor are not supported; use the Socket as a net.Conn")

func (rawSocket) Read(func(fd uintptr) bool) error  { return errNotPolled }
func (rawSocket) Write(func(fd uintptr) bool) error { return errNotPolled }

// Close closes the descriptor (or the net.Conn it became).
func (s *Socket) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errSocketClosed
	}
	s.closed = true
	if s.conn != nil {
		return s.conn.Close()
	}
	fd := s.fd
	s.fd = -1
	return unix.Close(fd)
}

// net returns the socket as a net.Conn, making it one on first use.
func (s *Socket) net() (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.conn != nil:
		return s.conn, nil
	case s.err != nil:
		return nil, s.err
	case s.closed:
		return nil, errSocketClosed
	}
	f := os.NewFile(uintptr(s.fd), "probe-passed-conn")
	c, err := net.FileConn(f) // dups
	f.Close()
	s.fd = -1
	if err != nil {
		s.err, s.closed = fmt.Errorf("fd channel: socket: %w", err), true
		return nil, s.err
	}
	s.conn = c
	return c, nil
}

func (s *Socket) Read(b []byte) (int, error) {
	c, err := s.net()
	if err != nil {
		return 0, err
	}
	return c.Read(b)
}

func (s *Socket) Write(b []byte) (int, error) {
	c, err := s.net()
	if err != nil {
		return 0, err
	}
	return c.Write(b)
}

// LocalAddr is the socket's address; nil if it cannot be had.
func (s *Socket) LocalAddr() net.Addr {
	if c, err := s.net(); err == nil {
		return c.LocalAddr()
	}
	return nil
}

// RemoteAddr is the peer's address; nil if it cannot be had.
func (s *Socket) RemoteAddr() net.Addr {
	if c, err := s.net(); err == nil {
		return c.RemoteAddr()
	}
	return nil
}

func (s *Socket) SetDeadline(t time.Time) error {
	c, err := s.net()
	if err != nil {
		return err
	}
	return c.SetDeadline(t)
}

func (s *Socket) SetReadDeadline(t time.Time) error {
	c, err := s.net()
	if err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

func (s *Socket) SetWriteDeadline(t time.Time) error {
	c, err := s.net()
	if err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// Unix reports whether this is a unix-domain socket (one system call).
func (s *Socket) Unix() bool {
	domain := -1
	raw, err := s.SyscallConn()
	if err != nil {
		return false
	}
	_ = raw.Control(func(fd uintptr) {
		domain, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
	})
	return domain == unix.AF_UNIX
}

// Conn returns the socket as a net.Conn of its own type (*net.TCPConn,
// *net.UnixConn), making it one if needed.
func (s *Socket) Conn() (net.Conn, error) { return s.net() }

var _ net.Conn = (*Socket)(nil)
var _ syscall.Conn = (*Socket)(nil)
