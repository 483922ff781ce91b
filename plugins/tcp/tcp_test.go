//go:build linux

package tcpphase

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

// harness serves a fresh phase configured with configJSON.
func harness(t *testing.T, configJSON string) *sdktest.Harness {
	t.Helper()
	h := sdktest.New(t, New())
	if problems := h.Configure(t, configJSON); len(problems) > 0 {
		t.Fatalf("configure %s: %v", configJSON, problems)
	}
	return h
}

// connect runs the phase and expects a connection.
func connect(t *testing.T, h *sdktest.Harness, req *sdk.Request) *sdk.Result {
	t.Helper()
	res, err := h.Run(testCtx(t), req)
	if err != nil {
		t.Fatalf("run: %v (kind %q)", err, sdktest.Kind(err))
	}
	if res.Conn == nil {
		t.Fatal("no connection handed on")
	}
	t.Cleanup(func() { res.Conn.Close() })
	if res.Duration <= 0 {
		t.Errorf("duration = %v, want > 0", res.Duration)
	}
	return res
}

// fail runs the phase and expects an error of the given kind and message.
func fail(t *testing.T, h *sdktest.Harness, req *sdk.Request, kind sdk.ErrorKind, msg string) *sdk.Result {
	t.Helper()
	res, err := h.Run(testCtx(t), req)
	if err == nil {
		res.Conn.Close()
		t.Fatalf("run succeeded (%v), want a %s error", res.Attributes, kind)
	}
	if sdktest.Kind(err) != kind || err.Error() != msg {
		t.Fatalf("error = %q (kind %q)\nwant    %q (kind %q)", err, sdktest.Kind(err), msg, kind)
	}
	if res != nil && res.Conn != nil {
		t.Error("a failed run handed on a connection")
	}
	return res
}

func wantAttrs(t *testing.T, got sdk.Attributes, want sdk.Attributes) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestHandsOnAConnectedSocket(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "::1"} {
		t.Run(ip, func(t *testing.T) {
			server, got := listen(t, netip.AddrPortFrom(netip.MustParseAddr(ip), 0).String())
			res := connect(t, harness(t, `{}`), request(server.Port(), ip))
			fam := "ipv4"
			if strings.Contains(ip, ":") {
				fam = "ipv6"
			}
			wantAttrs(t, res.Attributes, sdk.Attributes{
				"tcp.remote": server.String(), "tcp.attempts": int64(1), "tcp.family": fam,
			})
			if _, err := fmt.Fprint(res.Conn, "ping"); err != nil {
				t.Fatalf("writing through the handed-on socket: %v", err)
			}
			a := receive(t, got)
			if a.data != "ping" {
				t.Errorf("server read %q (err %v), want %q", a.data, a.err, "ping")
			}
			if a.remote != res.Attributes["tcp.local"] {
				t.Errorf("server saw the client at %s, tcp.local = %v", a.remote, res.Attributes["tcp.local"])
			}
		})
	}
}

func TestRefused(t *testing.T) {
	closed := closedPort(t, "127.0.0.1")
	res := fail(t, harness(t, `{}`), request(closed.Port(), "127.0.0.1"), sdk.KindRefused,
		fmt.Sprintf("connect %s: connect: connection refused", closed))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tcp.attempts": int64(1)})
	if res.Duration <= 0 {
		t.Errorf("duration = %v, want > 0", res.Duration)
	}
}

func TestAllAttemptsFailed(t *testing.T) {
	v6 := closedPort(t, "::1")
	v4 := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), v6.Port())
	// A long attempt delay: the second attempt starts when the first fails.
	res := fail(t, harness(t, `{"attempt_delay": "30s"}`), request(v6.Port(), "::1", "127.0.0.1"), sdk.KindRefused,
		fmt.Sprintf("all 2 connection attempts failed: %s: connect: connection refused; %s: connect: connection refused", v6, v4))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tcp.attempts": int64(2)})
}

func TestHappyEyeballsMovesOnWhenAnAttemptFails(t *testing.T) {
	v6 := closedPort(t, "::1")
	v4, got := listenAt(t, "127.0.0.1", v6.Port())
	// With a 30s attempt delay and a 5s deadline, success proves the IPv4
	// attempt started because the IPv6 one was refused, not after the delay.
	res := connect(t, harness(t, `{"attempt_delay": "30s"}`), request(v6.Port(), "::1", "127.0.0.1"))
	wantAttrs(t, res.Attributes, sdk.Attributes{
		"tcp.remote": v4.String(), "tcp.attempts": int64(2), "tcp.family": "ipv4",
	})
	fmt.Fprint(res.Conn, "v4")
	if a := receive(t, got); a.data != "v4" {
		t.Errorf("server read %q (err %v)", a.data, a.err)
	}
}

func TestHappyEyeballsRacesPastAStalledAttempt(t *testing.T) {
	v6 := silentPort(t, "::1")
	v4, got := listenAt(t, "127.0.0.1", v6.Port())
	res := connect(t, harness(t, `{"attempt_delay": "50ms"}`), request(v6.Port(), "::1", "127.0.0.1"))
	wantAttrs(t, res.Attributes, sdk.Attributes{
		"tcp.remote": v4.String(), "tcp.attempts": int64(2), "tcp.family": "ipv4",
	})
	fmt.Fprint(res.Conn, "raced")
	if a := receive(t, got); a.data != "raced" {
		t.Errorf("server read %q (err %v)", a.data, a.err)
	}
}

func TestConnectTimeout(t *testing.T) {
	silent := silentPort(t, "127.0.0.1")
	res := fail(t, harness(t, `{"connect_timeout": "200ms"}`), request(silent.Port(), "127.0.0.1"), sdk.KindTimeout,
		fmt.Sprintf("connect %s: timed out", silent))
	if res.Duration <= 0 {
		t.Errorf("duration = %v, want > 0", res.Duration)
	}
}

// The probe's deadline ends the race too. Run is called directly: through
// the RPC layer the caller's own deadline would race the phase's reply.
func TestContextDeadline(t *testing.T) {
	silent := silentPort(t, "127.0.0.1")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := New().Run(ctx, request(silent.Port(), "127.0.0.1"))
	if sdk.Classify(err) != sdk.KindTimeout || err.Error() != fmt.Sprintf("connect %s: timed out", silent) {
		t.Fatalf("error = %v (kind %q), want a timeout", err, sdk.Classify(err))
	}
	if res == nil || res.Conn != nil || res.Attributes["tcp.attempts"] != int64(1) {
		t.Fatalf("result = %+v", res)
	}
}

func TestFamilyFilter(t *testing.T) {
	server, _ := listen(t, "127.0.0.1:0")
	res := connect(t, harness(t, `{"family": "ipv4"}`), request(server.Port(), "::1", "127.0.0.1"))
	wantAttrs(t, res.Attributes, sdk.Attributes{
		"tcp.remote": server.String(), "tcp.attempts": int64(1), "tcp.family": "ipv4",
	})

	fail(t, harness(t, `{"family": "ipv6"}`), request(server.Port(), "127.0.0.1", "127.0.0.2"), sdk.KindNoAddress,
		"no ipv6 address among 127.0.0.1, 127.0.0.2")
}

func TestSourceAddress(t *testing.T) {
	server, got := listen(t, "127.0.0.1:0")
	// Linux routes all of 127/8 to lo, so 127.0.0.2 can be bound.
	res := connect(t, harness(t, `{"source_address": "127.0.0.2"}`), request(server.Port(), "::1", "127.0.0.1"))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tcp.attempts": int64(1), "tcp.family": "ipv4"})
	local := netip.MustParseAddrPort(res.Attributes["tcp.local"].(string))
	if local.Addr() != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("tcp.local = %s, want 127.0.0.2:*", local)
	}
	fmt.Fprint(res.Conn, "src")
	if a := receive(t, got); a.remote != local.String() {
		t.Errorf("server saw the client at %s, want %s", a.remote, local)
	}

	fail(t, harness(t, `{"source_address": "::1"}`), request(server.Port(), "127.0.0.1"), sdk.KindNoAddress,
		"no ipv6 address among 127.0.0.1 (source_address ::1 is ipv6)")
}

func TestBadInput(t *testing.T) {
	h := harness(t, `{}`)
	fail(t, h, request(80), sdk.KindInput, "no addresses to connect to: the resolve phase produced none")
	fail(t, h, request(0, "127.0.0.1"), sdk.KindInput, "target port 0 is out of range 1-65535")
}

func TestConcurrentRuns(t *testing.T) {
	const n = 8
	server, _ := listen(t, "127.0.0.1:0") // accepts one; the kernel queues the rest
	h := harness(t, `{}`)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			res, err := h.Run(testCtx(t), request(server.Port(), "127.0.0.1"))
			if err == nil {
				res.Conn.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("run: %v", err)
		}
	}
}

func TestBadConfig(t *testing.T) {
	tests := []struct {
		config string
		want   []string // "attribute: message"
	}{
		{`{"family": "ip4"}`, []string{`family: must be "any", "ipv4" or "ipv6", got "ip4"`}},
		{`{"attempt_delay": "fast"}`, []string{`attempt_delay: not a duration: "fast" (write it like "250ms" or "2s")`}},
		{`{"attempt_delay": "1ms"}`, []string{`attempt_delay: must be at least 10ms (RFC 8305), got "1ms"`}},
		{`{"connect_timeout": "0s"}`, []string{`connect_timeout: must be positive, got "0s"`}},
		{`{"connect_timeout": "-1s"}`, []string{`connect_timeout: must be positive, got "-1s"`}},
		{`{"source_address": "localhost"}`, []string{`source_address: not an IP address: "localhost"`}},
		{`{"family": "ipv6", "source_address": "127.0.0.1"}`, []string{`source_address: 127.0.0.1 is an ipv4 address but family is "ipv6"`}},
		{`{"family": "ipv5", "attempt_delay": "1", "connect_timeout": "x", "source_address": "1.2.3"}`, []string{
			`family: must be "any", "ipv4" or "ipv6", got "ipv5"`,
			`attempt_delay: not a duration: "1" (write it like "250ms" or "2s")`,
			`connect_timeout: not a duration: "x" (write it like "250ms" or "2s")`,
			`source_address: not an IP address: "1.2.3"`,
		}},
	}
	h := sdktest.New(t, New())
	for _, tt := range tests {
		var got []string
		for _, p := range h.Configure(t, tt.config) {
			got = append(got, p.Error())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("config %s:\n got %q\nwant %q", tt.config, got, tt.want)
		}
	}
	if problems := h.Configure(t, `{"family": "any", "attempt_delay": "10ms", "connect_timeout": "1s", "source_address": "::ffff:127.0.0.1"}`); problems != nil {
		t.Errorf("valid config rejected: %v", problems)
	}
}

func TestRejectedConfigKeepsThePreviousOne(t *testing.T) {
	p := New()
	if err := p.Configure(sdk.NewConfig([]byte(`{"family": "ipv6"}`))); err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(sdk.NewConfig([]byte(`{"family": "bad"}`))); err == nil {
		t.Fatal("bad family accepted")
	}
	if got := p.settings.Load().family; got != ipv6 {
		t.Errorf("family = %s after a rejected config, want ipv6", got)
	}
}

func TestInterleave(t *testing.T) {
	tests := []struct{ in, want []netip.Addr }{
		{addrs("::1", "::2", "10.0.0.1", "10.0.0.2", "::3"), addrs("::1", "10.0.0.1", "::2", "10.0.0.2", "::3")},
		{addrs("10.0.0.1", "::1", "::2"), addrs("10.0.0.1", "::1", "::2")},
		{addrs("10.0.0.1", "10.0.0.2"), addrs("10.0.0.1", "10.0.0.2")},
	}
	for _, tt := range tests {
		if got := interleave(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("interleave(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	d := sdktest.New(t, New()).Describe(t)
	if d.Name != Name || d.Version != Version || d.Summary == "" {
		t.Errorf("description = %+v", d)
	}
	var names []string
	for _, a := range d.Schema {
		names = append(names, a.Name+":"+a.Type.String())
	}
	want := []string{"family:string", "attempt_delay:string", "connect_timeout:string", "source_address:string"}
	if !slices.Equal(names, want) {
		t.Errorf("config attributes = %v, want %v", names, want)
	}
}

func TestDeadlineAlreadyPassed(t *testing.T) {
	server, _ := listen(t, "127.0.0.1:0")
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	res, err := New().Run(ctx, request(server.Port(), "127.0.0.1"))
	if sdk.Classify(err) != sdk.KindTimeout || err.Error() != "connect: context deadline exceeded before the first attempt" {
		t.Fatalf("error = %v (kind %q), want a timeout", err, sdk.Classify(err))
	}
	if res == nil || res.Conn != nil || res.Attributes["tcp.attempts"] != int64(0) {
		t.Fatalf("result = %+v", res)
	}
}
