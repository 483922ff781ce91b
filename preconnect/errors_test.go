package preconnect_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probe-net/probe/internal/loopback"
	"github.com/probe-net/probe/preconnect"
)

// silentServer accepts connections on 127.0.0.1 and never sends a byte:
// a TLS handshake with it waits until its deadline. It returns its port and
// the server (which counts the connections it accepts).
func silentServer(t *testing.T) (int, *loopback.TCPServer) {
	t.Helper()
	s := loopback.ServeTest(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	return s.Port(), s
}

// noDNS points the dns phase at a closed port, so a lookup fails rather
// than reach the system resolver.
var noDNS = preconnect.Config{DNS: preconnect.Attrs{"servers": []string{"127.0.0.1:9"}, "timeout": 200 * time.Millisecond, "attempts": 1}}

// Failures match with errors.Is and errors.As as Go's own network errors
// do: through the cause, and by kind for timeouts and cancellation.
func TestErrorsMatchTheGoWays(t *testing.T) {
	client, err := preconnect.New(noDNS)
	if err != nil {
		t.Fatal(err)
	}
	refusedPort := closedPort(t)
	_, err = client.Host(context.Background(), preconnect.Target{Host: "127.0.0.1", Port: refusedPort, Protocol: "tcp"})
	var e *preconnect.Error
	if !errors.As(err, &e) || e.Kind != preconnect.KindRefused || e.Phase != "tcp" {
		t.Fatalf("refused: %v, want kind refused in tcp", err)
	}
	if e.Err == nil || runtime.GOOS != "windows" && !errors.Is(err, syscall.ECONNREFUSED) { // Windows has errnos of its own
		t.Errorf("refused: errors.Is(%v, ECONNREFUSED) is false (cause %v)", err, e.Err)
	}
	if e.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("refused: %v says it is a timeout", err)
	}

	silent, _ := silentServer(t)
	_, err = client.Host(context.Background(), preconnect.Target{Host: "127.0.0.1", Port: silent, Protocol: "tls", Timeout: 200 * time.Millisecond})
	if !errors.As(err, &e) || e.Kind != preconnect.KindTimeout || e.Phase != "tls" {
		t.Fatalf("silent server: %v, want kind timeout in tls", err)
	}
	var ne net.Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("timeout: %v does not match context.DeadlineExceeded, os.ErrDeadlineExceeded and net.Error.Timeout", err)
	}

	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	_, err = client.Host(expired, preconnect.Target{Host: "127.0.0.1", Port: refusedPort, Protocol: "tcp"})
	if !errors.As(err, &e) || e.Kind != preconnect.KindTimeout || e.Phase != "" || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline passed before the probe: %v, want kind timeout and no phase", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = client.Host(ctx, preconnect.Target{Host: "127.0.0.1", Port: refusedPort, Protocol: "tcp"})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "preconnect: canceled: ") {
		t.Errorf("canceled: %q, want errors.Is context.Canceled and the kind in the text", err)
	}
}

// The cause survives the Pool's Transport: an http.Client's error unwraps
// to it, and a timeout says so through url.Error.
func TestPoolDialErrorsUnwrap(t *testing.T) {
	pool, err := preconnect.NewPool(noDNS, preconnect.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	client := &http.Client{Transport: pool.Transport(), Timeout: 10 * time.Second}
	_, err = client.Get("http://127.0.0.1:" + strconv.Itoa(closedPort(t)) + "/")
	if runtime.GOOS != "windows" && !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET a closed port: %v, want errors.Is ECONNREFUSED", err)
	}
	silent, _ := silentServer(t)
	r := pool.Warm(context.Background(), preconnect.Target{Host: "127.0.0.1", Port: silent, Protocol: "https", Timeout: 200 * time.Millisecond})
	var ne net.Error
	if !errors.As(r[0].Err, &ne) || !ne.Timeout() || !errors.Is(r[0].Err, os.ErrDeadlineExceeded) {
		t.Errorf("Warm of a silent server: %v, want a timeout", r[0].Err)
	}
	// Without a request deadline the dial has the warmed target's 200ms.
	_, err = (&http.Client{Transport: pool.Transport()}).Get("https://127.0.0.1:" + strconv.Itoa(silent) + "/")
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Errorf("GET a silent server: %v, want a *url.Error whose Timeout() is true", err)
	}
}

// Error says each part once: no kind repeated from the message or equal
// to the phase.
func TestErrorTextSaysTheKindOnce(t *testing.T) {
	tb := startTestbed(t)
	client, err := preconnect.New(testbedConfig(tb))
	if err != nil {
		t.Fatal(err)
	}
	httpPort := port(t, tb.HTTPAddr)
	for _, c := range []struct{ host, want string }{
		{"missing.probe.test", "preconnect: dns: nxdomain: missing.probe.test does not exist (server "},
		{"elsewhere.test", "preconnect: dns: elsewhere.test A: answered REFUSED (server "},
	} {
		_, err := client.Host(context.Background(), preconnect.Target{Host: c.host, Port: httpPort, Protocol: "http"})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %q, want it to start %q", c.host, err, c.want)
		}
		var e *preconnect.Error
		if errors.As(err, &e) && strings.HasPrefix(e.Message, string(e.Kind)+":") {
			t.Errorf("%s: Message %q repeats the kind", c.host, e.Message)
		}
	}
}
