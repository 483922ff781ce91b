//go:build linux

package soak

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/probe-net/probe/internal/loopback"
)

// holdLimit bounds how long any hostile server keeps a connection: every
// goroutine of the bed ends within it even if a client never closes.
const holdLimit = 30 * time.Second

// startTCP serves handle on a free port of 127.0.0.1; every connection
// ends within holdLimit, whatever handle does.
func startTCP(handle func(net.Conn)) (*loopback.TCPServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return loopback.ServeTCP(ln, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(holdLimit))
		handle(c)
	}), nil
}

// silent accepts and never sends a byte: what it reads is discarded until
// the client closes (or holdLimit passes). An http target sees its request
// unanswered; a TLS handshake stalls.
func silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// resetAfterRead waits for the client's first bytes (an HTTP request, a
// TLS ClientHello), then closes with SO_LINGER 0, which sends a RST.
func resetAfterRead(c net.Conn) {
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
}

// BigHeaderBytes is how much header the big-headers server sends: ten
// times the HTTP plugin's default limit (1 MiB).
const BigHeaderBytes = 10 << 20

// bigHeaders reads the request head, then answers 200 with BigHeaderBytes
// of header lines and no end: the client must give up at its limit.
func bigHeaders(c net.Conn) {
	if !readHead(c) {
		return
	}
	w := bufio.NewWriterSize(c, 64<<10)
	_, _ = w.WriteString("HTTP/1.1 200 OK\r\n")
	line := "X-Pad: " + strings.Repeat("x", 1016) + "\r\n" // 1 KiB a line
	for sent := 0; sent < BigHeaderBytes; sent += len(line) {
		if _, err := w.WriteString(line); err != nil {
			return // the client gave up: the point
		}
	}
	_ = w.Flush()
}

// readHead reads until the blank line ending a request head, at most
// 64 KiB; it reports whether it found one.
func readHead(c net.Conn) bool {
	var head []byte
	buf := make([]byte, 4096)
	for len(head) < 64<<10 {
		n, err := c.Read(buf)
		head = append(head, buf[:n]...)
		if bytes.Contains(head, []byte("\r\n\r\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

// delayingProxy relays to upstream, holding every chunk it forwards, in
// either direction, for delay: a slow path to a healthy server.
func delayingProxy(upstream string, delay time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		up, err := net.DialTimeout("tcp", upstream, 5*time.Second)
		if err != nil {
			return
		}
		defer up.Close()
		_ = up.SetDeadline(time.Now().Add(holdLimit))
		done := make(chan struct{})
		go func() {
			defer close(done)
			pump(up, c, delay)
			closeWrite(up)
		}()
		pump(c, up, delay)
		closeWrite(c)
		<-done
	}
}

// pump copies src to dst, sleeping delay before each write.
func pump(dst, src net.Conn, delay time.Duration) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(delay)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

// refusingPort is a TCP port on 127.0.0.1 that is bound but not listening:
// every connection to it is refused (RST), and no other program can take
// the port while it is held, so the refusal stays deterministic.
type refusingPort struct {
	fd   int
	port int
}

func bindRefusing() (*refusingPort, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("refusing port: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("refusing port: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("refusing port: %w", err)
	}
	return &refusingPort{fd: fd, port: sa.(*syscall.SockaddrInet4).Port}, nil
}

func (r *refusingPort) addr() string { return fmt.Sprintf("127.0.0.1:%d", r.port) }

func (r *refusingPort) close() error { return syscall.Close(r.fd) }
