package preconnect_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-net/probe/internal/loopback"
)

// Userspace latency injection for benchmarks (tc netem is not available on
// this kernel). Everything listens on 127.0.0.1 and stops when the test or
// benchmark ends.

// delayTCP forwards connections to upstream, delivering every chunk in
// each direction delay after it arrived (one-way delay, pipelined: chunks
// are not serialised behind each other's sleeps). With idle > 0 it closes
// a connection that carried nothing either way for idle, as a load
// balancer's idle timeout does. The kernel completes the client's TCP
// handshake with the proxy at once, so the connect itself is not delayed.
func delayTCP(tb testing.TB, upstream string, delay, idle time.Duration) string {
	return loopback.ServeTest(tb, func(c net.Conn) { proxyConn(c, upstream, delay, idle) }).Addr().String()
}

func proxyConn(client net.Conn, upstream string, delay, idle time.Duration) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", upstream, 5*time.Second)
	if err != nil {
		return
	}
	defer server.Close()
	var last atomic.Int64
	touch := func() { last.Store(time.Now().UnixNano()) }
	touch()
	done := make(chan struct{}, 2)
	go func() { delayPipe(server, client, delay, touch); done <- struct{}{} }()
	go func() { delayPipe(client, server, delay, touch); done <- struct{}{} }()
	if idle > 0 {
		go closeWhenIdle(client, server, &last, idle)
	}
	<-done
	<-done
}

// delayPipe copies src to dst, each chunk delay after it was read, and
// half-closes dst after src's end.
func delayPipe(dst, src net.Conn, delay time.Duration, touch func()) {
	type chunk struct {
		b   []byte
		due time.Time
	}
	queue := make(chan chunk, 4096)
	written := make(chan struct{})
	go func() {
		defer close(written)
		for c := range queue {
			time.Sleep(time.Until(c.due))
			if _, err := dst.Write(c.b); err != nil {
				src.Close()
				for range queue { // drain so the reader never blocks
				}
				return
			}
			touch()
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			touch()
			queue <- chunk{b: append([]byte(nil), buf[:n]...), due: time.Now().Add(delay)}
		}
		if err != nil {
			close(queue)
			<-written
			return
		}
	}
}

func closeWhenIdle(a, b net.Conn, last *atomic.Int64, idle time.Duration) {
	tick := time.NewTicker(idle / 10)
	defer tick.Stop()
	for range tick.C {
		if time.Since(time.Unix(0, last.Load())) > idle {
			a.Close()
			b.Close()
			return
		}
	}
}

// delayUDP forwards DNS datagrams to upstream and the answers back, each
// delay later: one round trip to a resolver costs 2×delay.
func delayUDP(tb testing.TB, upstream string, delay time.Duration) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { pc.Close(); waitBounded(tb, &wg) })
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			query := append([]byte(nil), buf[:n]...)
			wg.Add(1)
			go func() { defer wg.Done(); relayUDP(pc, from, upstream, query, delay) }()
		}
	}()
	return pc.LocalAddr().String()
}

func relayUDP(pc net.PacketConn, from net.Addr, upstream string, query []byte, delay time.Duration) {
	time.Sleep(delay)
	up, err := net.Dial("udp", upstream)
	if err != nil {
		return
	}
	defer up.Close()
	_ = up.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := up.Write(query); err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	n, err := up.Read(buf)
	if err != nil {
		return
	}
	time.Sleep(delay)
	_, _ = pc.WriteTo(buf[:n], from)
}

// waitBounded waits for wg at most 10 s.
func waitBounded(tb testing.TB, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		tb.Error("a delaying proxy's connections were still open 10s after the end")
	}
}
