//go:build linux

// Package fdpass moves connected sockets between the probe host and its
// plugin processes.
//
// A Channel is one end of a SOCK_SEQPACKET unix socket pair. Each message is
// an 8-byte connection id plus exactly one file descriptor (SCM_RIGHTS), so a
// message is never split or merged. The host assigns every id, which lets it
// discard a connection whose call failed without ever having seen it.
//
// gRPC cannot carry descriptors (it reads its socket with plain read(2), which
// drops ancillary data), hence this dedicated channel next to the RPC socket.
package fdpass

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ChildFD is the descriptor number at which a plugin process finds its end of
// the channel: the first entry of exec.Cmd.ExtraFiles.
const ChildFD = 3

// EnvChannel names the environment variable that tells a plugin process the
// channel is present at ChildFD.
const EnvChannel = "PROBE_FD_CHANNEL"

// staleAfter bounds how long an unclaimed descriptor is kept. A descriptor is
// left unclaimed only when its RPC never arrived (the caller gave up).
const staleAfter = 2 * time.Minute

// ErrClosed is returned by Receive once the channel is closed or its peer is gone.
var ErrClosed = errors.New("fd channel closed")

// Channel sends and receives connections tagged with ids.
type Channel struct {
	conn *net.UnixConn

	writing chan struct{} // holds one token while a Send writes

	deadlineMu sync.Mutex
	sends      uint64 // counts Sends, so a late wake-up spares the next one

	mu        sync.Mutex
	arrived   map[uint64]arrival
	waiting   map[uint64]chan struct{}
	discarded map[uint64]time.Time // ids to drop on arrival, and since when
	err       error
	done      chan struct{}
}

type arrival struct {
	fd int // a descriptor this process owns
	at time.Time
}

// Pair creates a connected pair: the host keeps the Channel, and childEnd goes
// to the plugin process via exec.Cmd.ExtraFiles. The caller closes childEnd
// after starting the process.
func Pair() (host *Channel, childEnd *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("fd channel: socketpair: %w", err)
	}
	hostFile := os.NewFile(uintptr(fds[0]), "probe-fd-channel")
	childEnd = os.NewFile(uintptr(fds[1]), "probe-fd-channel-child")
	host, err = FromFile(hostFile)
	if err != nil {
		childEnd.Close()
		return nil, nil, err
	}
	return host, childEnd, nil
}

// FromFile wraps one end of a SOCK_SEQPACKET pair. It takes ownership of f.
func FromFile(f *os.File) (*Channel, error) {
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("fd channel: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("fd channel: descriptor %d is a %T, not a unix socket", f.Fd(), c)
	}
	ch := &Channel{
		conn:      uc,
		arrived:   map[uint64]arrival{},
		waiting:   map[uint64]chan struct{}{},
		discarded: map[uint64]time.Time{},
		done:      make(chan struct{}),
		writing:   make(chan struct{}, 1),
	}
	go ch.readLoop()
	return ch, nil
}

// Send passes the socket behind conn to the peer under id. The caller keeps
// its own descriptor; the peer gets a new one for the same socket.
//
// Send ends when ctx does, even when the peer has stopped reading and the
// socket's buffer is full (a plugin process stopped with SIGSTOP, say), and
// while it waits for another Send to finish; the error then wraps ctx.Err().
func (c *Channel) Send(ctx context.Context, id uint64, conn syscall.Conn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("fd channel: send %d: %w", id, err)
	}
	select {
	case c.writing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("fd channel: send %d: waiting for another send: %w", id, ctx.Err())
	}
	defer func() { <-c.writing }()
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], id)
	var sendErr error
	defer context.AfterFunc(ctx, c.armWriteDeadline(ctx))()
	// Control keeps the descriptor valid for the duration of the callback
	// without flipping it to blocking mode, as File().Fd() would.
	ctlErr := raw.Control(func(fd uintptr) {
		_, _, sendErr = c.conn.WriteMsgUnix(msg[:], unix.UnixRights(int(fd)), nil)
	})
	if ctlErr != nil {
		return fmt.Errorf("fd channel: send %d: %w", id, ctlErr)
	}
	if sendErr != nil {
		if errors.Is(sendErr, os.ErrDeadlineExceeded) {
			// Only ctx sets deadlines: it has ended, or is about to.
			sendErr = context.Cause(ctx)
			if sendErr == nil {
				sendErr = context.DeadlineExceeded
			}
		}
		return fmt.Errorf("fd channel: send %d: %w", id, sendErr)
	}
	return nil
}

// armWriteDeadline sets the socket's write deadline to ctx's (none if it
// has none) and returns what wakes a write blocked past ctx's end. The
// caller holds the writing token; a wake-up left over from an earlier Send
// does nothing.
func (c *Channel) armWriteDeadline(ctx context.Context) (wake func()) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.sends++
	send := c.sends
	dl, _ := ctx.Deadline()
	_ = c.conn.SetWriteDeadline(dl)
	return func() {
		c.deadlineMu.Lock()
		defer c.deadlineMu.Unlock()
		if c.sends == send {
			_ = c.conn.SetWriteDeadline(time.Unix(1, 0))
		}
	}
}

// Receive waits for the descriptor sent under id and returns it as a net.Conn.
func (c *Channel) Receive(ctx context.Context, id uint64) (net.Conn, error) {
	f, err := c.ReceiveFile(ctx, id)
	if err != nil {
		return nil, err
	}
	defer f.Close() // net.FileConn dups the descriptor
	conn, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("fd channel: connection %d: %w", id, err)
	}
	return conn, nil
}

// ReceiveFile waits for the descriptor sent under id.
func (c *Channel) ReceiveFile(ctx context.Context, id uint64) (*os.File, error) {
	fd, err := c.receiveFD(ctx, id)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "probe-passed-conn"), nil
}

// ReceiveSocket waits for the socket sent under id and returns it as a
// Socket: held by its descriptor alone, without the system calls that make
// a net.Conn of it (see Socket). For a holder that mostly passes the
// socket on, as the host does.
func (c *Channel) ReceiveSocket(ctx context.Context, id uint64) (*Socket, error) {
	fd, err := c.receiveFD(ctx, id)
	if err != nil {
		return nil, err
	}
	return NewSocket(fd), nil
}

// receiveFD waits for the descriptor sent under id; the caller owns it.
func (c *Channel) receiveFD(ctx context.Context, id uint64) (int, error) {
	for {
		c.mu.Lock()
		if a, ok := c.arrived[id]; ok {
			delete(c.arrived, id)
			c.mu.Unlock()
			return a.fd, nil
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return -1, err
		}
		wake, ok := c.waiting[id]
		if !ok {
			wake = make(chan struct{})
			c.waiting[id] = wake
		}
		c.mu.Unlock()

		select {
		case <-wake:
		case <-c.done:
		case <-ctx.Done():
			c.Discard(id)
			return -1, fmt.Errorf("fd channel: waiting for connection %d: %w", id, ctx.Err())
		}
	}
}

// Discard drops the descriptor sent under id, now or when it arrives. Use it
// when the call that would have claimed it failed.
func (c *Channel) Discard(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.waiting, id)
	if a, ok := c.arrived[id]; ok {
		_ = unix.Close(a.fd)
		delete(c.arrived, id)
		return
	}
	c.discarded[id] = time.Now()
}

// Close shuts the channel and drops every unclaimed descriptor.
func (c *Channel) Close() error {
	err := c.conn.Close()
	<-c.done
	return err
}

func (c *Channel) readLoop() {
	defer close(c.done)
	buf := make([]byte, 16)
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, flags, _, err := c.conn.ReadMsgUnix(buf, oob)
		if err == nil && n == 0 && oobn == 0 {
			err = ErrClosed // peer closed: a zero-length seqpacket read
		}
		if err != nil {
			c.fail(err)
			return
		}
		fds, perr := parseRights(oob[:oobn])
		if perr == nil && flags&unix.MSG_CTRUNC != 0 {
			perr = errors.New("control message truncated")
		}
		if perr == nil && (n != 8 || len(fds) != 1) {
			perr = fmt.Errorf("malformed message: %d bytes, %d descriptors", n, len(fds))
		}
		if perr != nil {
			for _, fd := range fds {
				_ = unix.Close(fd)
			}
			continue // one bad message must not stall the channel
		}
		c.deliver(binary.BigEndian.Uint64(buf[:8]), fds[0])
	}
}

func (c *Channel) deliver(id uint64, fd int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(time.Now())
	if _, ok := c.discarded[id]; ok {
		delete(c.discarded, id)
		_ = unix.Close(fd)
		return
	}
	c.arrived[id] = arrival{fd: fd, at: time.Now()}
	if wake, ok := c.waiting[id]; ok {
		close(wake)
		delete(c.waiting, id)
	}
}

// sweep drops descriptors nobody claimed and tombstones nothing matched
// within staleAfter: their calls were abandoned long ago. c.mu is held.
func (c *Channel) sweep(now time.Time) {
	for id, a := range c.arrived {
		if now.Sub(a.at) > staleAfter {
			_ = unix.Close(a.fd)
			delete(c.arrived, id)
		}
	}
	for id, at := range c.discarded {
		if now.Sub(at) > staleAfter {
			delete(c.discarded, id)
		}
	}
}

func (c *Channel) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if errors.Is(err, net.ErrClosed) || errors.Is(err, ErrClosed) || errors.Is(err, io.EOF) {
		c.err = ErrClosed
	} else {
		c.err = fmt.Errorf("fd channel: %w", err)
	}
	for id, a := range c.arrived {
		_ = unix.Close(a.fd)
		delete(c.arrived, id)
	}
	for id, wake := range c.waiting {
		close(wake)
		delete(c.waiting, id)
	}
}

// parseRights returns the descriptors in oob. They are close-on-exec
// already: ReadMsgUnix asks for MSG_CMSG_CLOEXEC.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		closeRawRights(oob)
		return nil, err
	}
	var out []int
	for i := range msgs {
		fds, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		out = append(out, fds...)
	}
	return out, nil
}

// closeRawRights closes whatever descriptors a control message that could
// not be parsed as a whole still carries, so none leaks.
func closeRawRights(oob []byte) {
	for len(oob) >= unix.CmsgLen(0) {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		n := int(h.Len)
		if n < unix.CmsgLen(0) || n > len(oob) {
			return
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_RIGHTS {
			data := oob[unix.CmsgLen(0):n]
			for i := 0; i+4 <= len(data); i += 4 {
				_ = unix.Close(int(*(*int32)(unsafe.Pointer(&data[i]))))
			}
		}
		oob = oob[min(unix.CmsgSpace(n-unix.CmsgLen(0)), len(oob)):]
	}
}

// Shutdown shuts a socket down in both directions for every process holding
// it. The host uses it to unblock a phase that overran its deadline.
func Shutdown(conn syscall.Conn) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = unix.Shutdown(int(fd), unix.SHUT_RDWR)
	})
}
