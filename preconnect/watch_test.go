package preconnect

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// pipe returns a watched client end and the server end of a connection.
func pipe(t *testing.T) (*watchedConn, net.Conn) {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	return newWatchedConn(client), server
}

// Bytes the server sends while the connection is idle reach the first
// Reads after the watch stops, in order, followed by what comes later.
func TestWatchReplaysWhatArrivedWhileIdle(t *testing.T) {
	c, server := pipe(t)
	lost := make(chan error, 1)
	c.watch(true, func(err error) { lost <- err })
	if _, err := server.Write([]byte("ticket")); err != nil {
		t.Fatal(err)
	}
	if err := c.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	go func() { _, _ = server.Write([]byte("+later")) }()
	buf := make([]byte, 3)
	var got []byte
	for len(got) < len("ticket+later") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "ticket+later" {
		t.Errorf("read %q", got)
	}
	select {
	case err := <-lost:
		t.Errorf("lost called after a clean stop: %v", err)
	default:
	}
}

func TestWatchNoticesTheServerClosing(t *testing.T) {
	c, server := pipe(t)
	lost := make(chan error, 1)
	c.watch(true, func(err error) { lost <- err })
	server.Close()
	select {
	case err := <-lost:
		if !errors.Is(err, io.EOF) {
			t.Errorf("lost(%v), want EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the close went unnoticed for 5s")
	}
	if err := c.stop(); !errors.Is(err, io.EOF) {
		t.Errorf("stop after the close: %v, want EOF", err)
	}
}

// Without TLS a server has nothing to say before a request: any byte
// means the connection is unusable.
func TestWatchRejectsUnaskedPlaintext(t *testing.T) {
	c, server := pipe(t)
	lost := make(chan error, 1)
	c.watch(false, func(err error) { lost <- err })
	go func() { _, _ = server.Write([]byte("HTTP/1.1 408 Request Timeout\r\n")) }()
	select {
	case err := <-lost:
		if err == nil || c.stop() == nil {
			t.Errorf("lost(%v), stop %v", err, c.stop())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("unasked bytes went unnoticed for 5s")
	}
}

func TestStopWithoutWatch(t *testing.T) {
	c, _ := pipe(t)
	if err := c.stop(); err != nil {
		t.Error(err)
	}
	c.wait()
}
