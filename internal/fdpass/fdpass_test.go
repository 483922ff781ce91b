//go:build linux

package fdpass

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func pair(t testing.TB) (*Channel, *Channel) {
	t.Helper()
	host, childEnd, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	child, err := FromFile(childEnd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close(); child.Close() })
	return host, child
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestSendReceiveIsTheSameSocket(t *testing.T) {
	host, child := pair(t)
	client, server := tcpPair(t)
	if err := host.Send(ctx(t), 7, client.(*net.TCPConn)); err != nil {
		t.Fatal(err)
	}
	got, err := child.Receive(ctx(t), 7)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.LocalAddr().String() != client.LocalAddr().String() {
		t.Errorf("received %v, sent %v", got.LocalAddr(), client.LocalAddr())
	}
	if _, err := got.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := server.Read(buf); err != nil || string(buf) != "hi" {
		t.Fatalf("server read %q, %v", buf, err)
	}
}

func TestReceiveWaitsForLaterArrivalAndMatchesIDs(t *testing.T) {
	host, child := pair(t)
	a, _ := tcpPair(t)
	b, _ := tcpPair(t)
	done := make(chan net.Conn)
	go func() {
		c, err := child.Receive(ctx(t), 2)
		if err != nil {
			t.Error(err)
		}
		done <- c
	}()
	time.Sleep(20 * time.Millisecond) // let Receive wait first
	_ = host.Send(ctx(t), 1, a.(*net.TCPConn))
	_ = host.Send(ctx(t), 2, b.(*net.TCPConn))
	got := <-done
	if got == nil || got.LocalAddr().String() != b.LocalAddr().String() {
		t.Fatalf("id 2 gave %v, want %v", got, b.LocalAddr())
	}
	got.Close()
	first, err := child.Receive(ctx(t), 1)
	if err != nil || first.LocalAddr().String() != a.LocalAddr().String() {
		t.Fatalf("id 1 gave %v, %v", first, err)
	}
	first.Close()
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestDiscardClosesNowOrOnArrival(t *testing.T) {
	host, child := pair(t)
	a, _ := tcpPair(t)
	b, _ := tcpPair(t)
	before := openFDs(t)
	child.Discard(1) // before arrival: a tombstone
	_ = host.Send(ctx(t), 1, a.(*net.TCPConn))
	_ = host.Send(ctx(t), 2, b.(*net.TCPConn))
	deadline := time.Now().Add(2 * time.Second)
	for child.pending() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	child.Discard(2) // after arrival: closed at once
	if n := openFDs(t); n != before {
		t.Errorf("descriptors: %d before, %d after discarding both", before, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := child.Receive(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("receiving a discarded id: %v", err)
	}
}

func TestPeerGoneFailsWaiters(t *testing.T) {
	host, child := pair(t)
	done := make(chan error)
	go func() {
		_, err := child.Receive(ctx(t), 9)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	host.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("err = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not woken when the peer closed")
	}
}

func TestMalformedMessageDoesNotStallTheChannel(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	raw := os.NewFile(uintptr(fds[0]), "raw")
	defer raw.Close()
	child, err := FromFile(os.NewFile(uintptr(fds[1]), "child"))
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()
	if _, err := raw.Write([]byte("no descriptor here")); err != nil {
		t.Fatal(err)
	}
	good, _ := tcpPair(t)
	sender, err := FromFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	if err := sender.Send(ctx(t), 3, good.(*net.TCPConn)); err != nil {
		t.Fatal(err)
	}
	c, err := child.Receive(ctx(t), 3)
	if err != nil {
		t.Fatalf("a good message after a bad one: %v", err)
	}
	c.Close()
}

// BenchmarkSendReceive is one descriptor across the channel and back into a
// net.Conn, within one process: the channel's own share of a hand-off.
func BenchmarkSendReceive(b *testing.B) {
	host, child := pair(b)
	conn, _ := tcpPair(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if err := host.Send(ctx, uint64(i+1), conn.(*net.TCPConn)); err != nil {
			b.Fatal(err)
		}
		c, err := child.Receive(ctx, uint64(i+1))
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// pending counts descriptors that arrived and are not claimed yet.
func (c *Channel) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.arrived)
}

// Issue 8, case 2: a peer that stops reading fills the socket buffer; a
// Send then ends at its context's deadline instead of blocking forever, and
// so does a Send waiting behind it.
func TestSendEndsAtItsDeadlineWhenThePeerStopsReading(t *testing.T) {
	host, childEnd, err := Pair()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	defer childEnd.Close() // nobody reads this end: its buffer fills up
	client, _ := tcpPair(t)
	sock := client.(*net.TCPConn)
	full := false
	for i := 0; i < 100000 && !full; i++ {
		c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- host.Send(c, uint64(i+1), sock) }()
		select {
		case err := <-done:
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("send %d failed with %v, want a deadline error", i, err)
				}
				full = true
			}
		case <-time.After(10 * time.Second):
			cancel()
			t.Fatalf("send %d blocked past its 100ms deadline", i)
		}
		cancel()
	}
	if !full {
		t.Fatal("the channel never filled up")
	}
	// Two senders at once: the one waiting for the other ends on time too.
	errs := make(chan error, 2)
	for id := uint64(1 << 40); id < 1<<40+2; id++ {
		go func() {
			c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			errs <- host.Send(c, id, sock)
		}()
	}
	for range 2 {
		select {
		case err := <-errs:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("concurrent send: %v, want a deadline error", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a send queued behind a blocked one did not end at its deadline")
		}
	}
}

// A Socket received by the host is passed on by descriptor and still
// works as a net.Conn when the holder talks over it.
func TestReceiveSocketPassesOnAndConverts(t *testing.T) {
	host, child := pair(t)
	conn, peer := tcpPair(t)
	if err := child.Send(ctx(t), 1, conn.(*net.TCPConn)); err != nil {
		t.Fatal(err)
	}
	s, err := host.ReceiveSocket(ctx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Unix() {
		t.Error("a TCP socket reported as unix")
	}
	// Passed on by descriptor, without becoming a net.Conn here.
	if err := host.Send(ctx(t), 2, s); err != nil {
		t.Fatal(err)
	}
	again, err := child.Receive(ctx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.LocalAddr().String() != conn.LocalAddr().String() {
		t.Errorf("passed on %v, want the socket %v", again.LocalAddr(), conn.LocalAddr())
	}
	// Used as a net.Conn: the server sees the bytes.
	if _, err := s.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if s.LocalAddr().String() != conn.LocalAddr().String() {
		t.Errorf("LocalAddr %v, want %v", s.LocalAddr(), conn.LocalAddr())
	}
	b := make([]byte, 1)
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := peer.Read(b); err != nil || b[0] != 'x' {
		t.Fatalf("server read %q, %v", b, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err == nil {
		t.Error("a second Close did not fail")
	}
	if raw, err := s.SyscallConn(); err == nil {
		if raw.Control(func(uintptr) {}) == nil {
			t.Error("Control after Close gave a descriptor")
		}
	}
}

func TestSocketUnix(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewSocket(fds[0]), NewSocket(fds[1])
	defer a.Close()
	defer b.Close()
	if !a.Unix() {
		t.Error("a socket pair end is not unix")
	}
}
