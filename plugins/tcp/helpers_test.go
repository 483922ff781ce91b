//go:build linux

package tcpphase

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/probe-net/probe/sdk"
)

// testCtx bounds every run in these tests.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// accepted is what a test server saw on the one connection it accepted.
type accepted struct {
	remote string // the client's address as the server sees it
	data   string // the first bytes it read
	err    error
}

// listen starts a TCP server on addr ("127.0.0.1:0", "[::1]:0") that
// accepts one connection, reads up to 64 bytes from it and reports both.
func listen(t *testing.T, addr string) (netip.AddrPort, <-chan accepted) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan accepted, 1)
	go serveOne(ln, got)
	return netip.MustParseAddrPort(ln.Addr().String()), got
}

func serveOne(ln net.Listener, got chan<- accepted) {
	c, err := ln.Accept()
	if err != nil {
		got <- accepted{err: err}
		return
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	got <- accepted{remote: c.RemoteAddr().String(), data: string(buf[:n]), err: err}
}

// receive waits (bounded) for what the server saw.
func receive(t *testing.T, got <-chan accepted) accepted {
	t.Helper()
	select {
	case a := <-got:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("the server accepted nothing within 5s")
		return accepted{}
	}
}

// closedPort returns a port on ip where nothing listens: it listens on a
// free port and closes the listener again.
func closedPort(t *testing.T, ip string) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return ap
}

// listenAt listens on ip at a given port, or skips the test when that port
// is taken there (another process got it first).
func listenAt(t *testing.T, ip string, port uint16) (netip.AddrPort, <-chan accepted) {
	t.Helper()
	ln, err := net.Listen("tcp", netip.AddrPortFrom(netip.MustParseAddr(ip), port).String())
	if errors.Is(err, unix.EADDRINUSE) {
		t.Skipf("port %d is taken on %s", port, ip)
	}
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan accepted, 1)
	go serveOne(ln, got)
	return netip.MustParseAddrPort(ln.Addr().String()), got
}

// silentPort returns an address whose SYNs go unanswered: a listener with
// a backlog of 0 that never accepts, its accept queue filled by one
// connection. Linux then drops further SYNs, so a connect to it hangs like
// one to a black-holed host. Skips where the kernel does not behave so.
func silentPort(t *testing.T, ip string) netip.AddrPort {
	t.Helper()
	addr := zeroBacklogListener(t, netip.MustParseAddr(ip))
	for i := 0; i < 4; i++ {
		c, err := net.DialTimeout("tcp", addr.String(), 200*time.Millisecond)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return addr
			}
			t.Fatalf("filling the accept queue: %v", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel keeps completing handshakes past the backlog; cannot make an unanswering listener")
	return netip.AddrPort{}
}

func zeroBacklogListener(t *testing.T, ip netip.Addr) netip.AddrPort {
	t.Helper()
	var domain int
	var sa unix.Sockaddr
	if ip.Is4() {
		domain, sa = unix.AF_INET, &unix.SockaddrInet4{Addr: ip.As4()}
	} else {
		domain, sa = unix.AF_INET6, &unix.SockaddrInet6{Addr: ip.As16()}
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	f := os.NewFile(uintptr(fd), "silent-listener")
	defer f.Close()
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatalf("bind: %v", err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatalf("listen: %v", err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatalf("file listener: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return netip.MustParseAddrPort(ln.Addr().String())
}

// addrs parses IP literals.
func addrs(ips ...string) []netip.Addr {
	out := make([]netip.Addr, len(ips))
	for i, s := range ips {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// request targets port on the given addresses.
func request(port uint16, ips ...string) *sdk.Request {
	return &sdk.Request{Target: sdk.Target{Host: "probe.test", Port: int(port)}, Addresses: addrs(ips...)}
}
