//go:build linux

package httpphase_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	httpphase "github.com/probe-net/probe/plugins/http"
	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

func TestDescribe(t *testing.T) {
	d := sdktest.New(t, httpphase.New()).Describe(t)
	if d.Name != "http" || d.Version != httpphase.Version || d.Summary == "" {
		t.Fatalf("description = %+v", d)
	}
	var names []string
	for _, a := range d.Schema {
		names = append(names, a.Name+":"+a.Type.String())
	}
	want := "path:string host:string user_agent:string headers:map(string) expect_status:list(int) " +
		"method:string fallback_to_get:bool keep_alive:bool max_header_bytes:int"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("config schema = %s\nwant %s", got, want)
	}
}

func TestHeadReportsStatusAndHeaders(t *testing.T) {
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "probe-test")
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "1234")
	})
	addr := srv.Listener.Addr().String()
	res, err := probe(t, `{"path": "/health?full=1", "headers": {"X-Probe": "yes"}}`, addr)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := map[string]any{
		"http.status": int64(200), "http.protocol": "HTTP/1.1", "http.method": "HEAD",
		"http.server": "probe-test", "http.content_type": "text/plain",
		"http.content_length": int64(1234), "http.keep_alive": false,
	}
	for k, v := range want {
		if res.Attributes[k] != v {
			t.Errorf("%s = %#v, want %#v", k, res.Attributes[k], v)
		}
	}
	if loc, ok := res.Attributes["http.location"]; ok {
		t.Errorf("http.location = %v on a 200", loc)
	}
	checkTimings(t, res)
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "HEAD" || r.Path != "/health?full=1" || r.Host != addr || r.UserAgent != "probe/0.1" ||
		r.Header.Get("X-Probe") != "yes" || !r.Close {
		t.Errorf("server saw %+v", r)
	}
}

func TestRedirectIsReportedNotFollowed(t *testing.T) {
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved", http.StatusMovedPermanently)
	})
	res, err := probe(t, `{}`, srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Attributes["http.status"] != int64(301) || res.Attributes["http.location"] != "/moved" {
		t.Errorf("attributes = %v", res.Attributes)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("server saw %d requests, want 1 (redirects are not followed)", n)
	}
}

func TestUnexpectedStatus(t *testing.T) {
	tests := []struct {
		name, config string
		status       int
		msg          string
	}{
		{"default", `{}`, 500, "unexpected status 500 Internal Server Error (expected 2xx or 3xx)"},
		{"one expected", `{"expect_status": [204]}`, 200, "unexpected status 200 OK (expected 204)"},
		{"several expected", `{"expect_status": [200, 204]}`, 404, "unexpected status 404 Not Found (expected one of 200, 204)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
			res, err := probe(t, tt.config, srv.Listener.Addr().String())
			wantFailure(t, err, sdk.KindHTTPStatus, tt.msg)
			if res == nil || res.Attributes["http.status"] != int64(tt.status) {
				t.Fatalf("result = %+v", res)
			}
			checkTimings(t, res)
		})
	}
}

func TestExpectStatusAcceptsListedCode(t *testing.T) {
	srv, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	res, err := probe(t, `{"expect_status": [200, 503]}`, srv.Listener.Addr().String())
	if err != nil || res.Attributes["http.status"] != int64(503) {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

// headRefused answers 405 to HEAD and "hello" to GET.
func headRefused(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.Header().Set("Allow", "GET")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	fmt.Fprint(w, "hello")
}

func TestFallbackToGet(t *testing.T) {
	t.Run("off", func(t *testing.T) {
		srv, rec := startHTTP(t, headRefused)
		res, err := probe(t, `{}`, srv.Listener.Addr().String())
		wantFailure(t, err, sdk.KindHTTPStatus, "unexpected status 405 Method Not Allowed (expected 2xx or 3xx)")
		if res.Attributes["http.method"] != "HEAD" || res.Attributes["http.status"] != int64(405) {
			t.Errorf("attributes = %v", res.Attributes)
		}
		if n := len(rec.all()); n != 1 {
			t.Errorf("server saw %d requests, want 1", n)
		}
	})
	t.Run("on", func(t *testing.T) {
		srv, rec := startHTTP(t, headRefused)
		res, err := probe(t, `{"fallback_to_get": true}`, srv.Listener.Addr().String())
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if res.Attributes["http.method"] != "GET" || res.Attributes["http.status"] != int64(200) ||
			res.Attributes["http.body_bytes"] != int64(len("hello")) || res.Attributes["http.keep_alive"] != false {
			t.Errorf("attributes = %v", res.Attributes)
		}
		checkTimings(t, res)
		reqs := rec.all()
		if len(reqs) != 2 || reqs[0].Method != "HEAD" || reqs[1].Method != "GET" {
			t.Fatalf("server saw %+v, want HEAD then GET", reqs)
		}
		if reqs[0].Remote != reqs[1].Remote || reqs[0].Close || !reqs[1].Close {
			t.Errorf("HEAD %+v and GET %+v: want one connection, kept open for the GET and closed after it", reqs[0], reqs[1])
		}
	})
}

func TestNoFallbackWhenServerClosesAfter405(t *testing.T) {
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		if readRequestHead(br) == nil {
			fmt.Fprint(c, "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
		}
	})
	res, err := probe(t, `{"fallback_to_get": true}`, addr)
	wantFailure(t, err, sdk.KindHTTPStatus, "unexpected status 405 Method Not Allowed (expected 2xx or 3xx); "+
		"the server closed the connection, so no GET fallback was tried")
	if res.Attributes["http.method"] != "HEAD" {
		t.Errorf("http.method = %v", res.Attributes["http.method"])
	}
}

func TestFallbackGetFailureKeepsItsKind(t *testing.T) {
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		if readRequestHead(br) == nil {
			fmt.Fprint(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
			_ = readRequestHead(br) // the GET, left unanswered: the connection closes
		}
	})
	res, err := probe(t, `{"fallback_to_get": true}`, addr)
	wantFailure(t, err, sdk.KindReset, "GET fallback after 405 to HEAD: connection closed before any response to GET /")
	if res.Attributes["http.method"] != "GET" {
		t.Errorf("http.method = %v", res.Attributes["http.method"])
	}
}

func TestMethodGetDiscardsBody(t *testing.T) {
	body := strings.Repeat("x", 3000)
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		fmt.Fprint(w, body)
	})
	res, err := probe(t, `{"method": "GET"}`, srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Attributes["http.method"] != "GET" || res.Attributes["http.body_bytes"] != int64(len(body)) ||
		res.Attributes["http.content_length"] != int64(len(body)) || res.Attributes["http.body_complete"] != true {
		t.Errorf("attributes = %v", res.Attributes)
	}
	if _, ok := res.Attributes["http.transfer"].(time.Duration); !ok {
		t.Errorf("http.transfer = %v, want the body read's time", res.Attributes["http.transfer"])
	}
	if reqs := rec.all(); len(reqs) != 1 || reqs[0].Method != "GET" {
		t.Errorf("server saw %+v", reqs)
	}
}

func TestGetBodyDiscardIsBounded(t *testing.T) {
	srv, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("b", 64<<10)
		for range 24 { // 1.5 MiB, chunked
			fmt.Fprint(w, chunk)
		}
	})
	res, err := probe(t, `{"method": "GET"}`, srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Attributes["http.body_bytes"] != int64(1<<20) || res.Attributes["http.body_complete"] != false {
		t.Errorf("http.body_bytes = %v, body_complete = %v; want %d, false", res.Attributes["http.body_bytes"], res.Attributes["http.body_complete"], 1<<20)
	}
	if _, ok := res.Attributes["http.content_length"]; ok {
		t.Errorf("http.content_length reported for a chunked response: %v", res.Attributes)
	}
}

func TestKeepAliveAndHostOverride(t *testing.T) {
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	res, err := probe(t, `{"keep_alive": true, "host": "www.probe.test", "user_agent": "custom/2"}`, srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Attributes["http.keep_alive"] != true || !res.Reusable {
		t.Errorf("http.keep_alive = %v, reusable = %v; want both true", res.Attributes["http.keep_alive"], res.Reusable)
	}
	r := rec.all()[0]
	if r.Close || r.Host != "www.probe.test" || r.UserAgent != "custom/2" {
		t.Errorf("server saw %+v", r)
	}
}

func TestConnectionReusableOnlyWhenBothSidesKeepIt(t *testing.T) {
	open, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	closing, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Connection", "close") })
	for _, c := range []struct {
		name, config, addr string
	}{
		{"client asks to close", `{}`, open.Listener.Addr().String()},
		{"server closes", `{"keep_alive": true}`, closing.Listener.Addr().String()},
	} {
		res, err := probe(t, c.config, c.addr)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Reusable {
			t.Errorf("%s: reported the connection reusable", c.name)
		}
	}
}

func TestSlowServerTimings(t *testing.T) {
	srv, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(300 * time.Millisecond) })
	res, err := probe(t, `{}`, srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	checkTimings(t, res)
}

func TestInterimResponseIsSkipped(t *testing.T) {
	srv, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusNoContent)
	})
	res, err := probe(t, `{}`, srv.Listener.Addr().String())
	if err != nil || res.Attributes["http.status"] != int64(204) {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

func TestHostHeaderDefaults(t *testing.T) {
	tests := []struct {
		target sdk.Target
		want   string
	}{
		{sdk.Target{Host: "www.probe.test", Port: 80, Protocol: "http"}, "www.probe.test"},
		{sdk.Target{Host: "www.probe.test", Port: 443, Protocol: "http"}, "www.probe.test:443"},
		{sdk.Target{Host: "www.probe.test", Port: 443, Protocol: "https"}, "www.probe.test"},
		{sdk.Target{Host: "www.probe.test", Port: 8443, Protocol: "https"}, "www.probe.test:8443"},
		{sdk.Target{Host: "::1", Port: 8080, Protocol: "http"}, "[::1]:8080"},
		{sdk.Target{Host: "::1", Port: 80, Protocol: "http"}, "[::1]"},
		{sdk.Target{Host: "bücher.probe.test", Port: 8080, Protocol: "http"}, "xn--bcher-kva.probe.test:8080"},
	}
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := srv.Listener.Addr().String()
	h := sdktest.New(t, httpphase.New())
	for i, tt := range tests {
		if _, err := h.Run(testContext(t), &sdk.Request{Target: tt.target, Conn: dial(t, addr)}); err != nil {
			t.Fatalf("%+v: %v", tt.target, err)
		}
		if got := rec.all()[i].Host; got != tt.want {
			t.Errorf("target %+v: server saw Host %q, want %q", tt.target, got, tt.want)
		}
	}
}

func TestHTTPSOverBridgedTLSSession(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	h := sdktest.New(t, httpphase.New())
	target := sdk.Target{Host: "www.probe.test", Port: 443, Protocol: "https"}
	res, err := h.Run(testContext(t), &sdk.Request{Target: target, Conn: tlsBridge(t, srv)})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Attributes["http.status"] != int64(204) || res.Attributes["http.protocol"] != "HTTP/1.1" {
		t.Errorf("attributes = %v", res.Attributes)
	}
	checkTimings(t, res)
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if !r.TLS || r.Method != "HEAD" || r.Path != "/" || r.Host != "www.probe.test" || r.UserAgent != "probe/0.1" {
		t.Errorf("server saw %+v", r)
	}
}

func TestRawServerFailures(t *testing.T) {
	tests := []struct {
		name, config string
		respond      func(c net.Conn)
		kind         sdk.ErrorKind
		msg          string
	}{
		{"closes without answering", `{}`, func(net.Conn) {},
			sdk.KindReset, "connection closed before any response to HEAD /"},
		{"closes mid headers", `{}`, func(c net.Conn) { fmt.Fprint(c, "HTTP/1.1 200 OK\r\nServer: half") },
			sdk.KindReset, "connection closed in the middle of the response to HEAD /"},
		{"answers garbage", `{}`, func(c net.Conn) { fmt.Fprint(c, "SSH-2.0-OpenSSH_9.6\r\n") },
			sdk.KindProtocol, `malformed response to HEAD /: malformed HTTP response "SSH-2.0-OpenSSH_9.6"`},
		{"bad status code", `{"path": "/x"}`, func(c net.Conn) { fmt.Fprint(c, "HTTP/1.1 2000 OK\r\n\r\n") },
			sdk.KindProtocol, `malformed response to HEAD /x: malformed HTTP status code "2000"`},
		{"headers over default limit", `{}`, padHeaders(1<<20 + 1000),
			sdk.KindProtocol, "response headers exceed 1048576 bytes"},
		{"headers over configured limit", `{"max_header_bytes": 4096}`, padHeaders(8000),
			sdk.KindProtocol, "response headers exceed 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
				if readRequestHead(br) == nil {
					tt.respond(c)
				}
			})
			res, err := probe(t, tt.config, addr)
			wantFailure(t, err, tt.kind, tt.msg)
			if res == nil || res.Duration <= 0 || res.Attributes["http.method"] != "HEAD" {
				t.Errorf("partial result = %+v", res)
			}
		})
	}
}

// padHeaders writes a 200 status line followed by about n bytes of header
// lines and never ends the header block.
func padHeaders(n int) func(c net.Conn) {
	return func(c net.Conn) {
		w := bufio.NewWriter(c)
		fmt.Fprint(w, "HTTP/1.1 200 OK\r\n")
		line := "X-Pad: " + strings.Repeat("p", 990) + "\r\n"
		for written := 0; written < n; written += len(line) {
			w.WriteString(line)
		}
		_ = w.Flush() // fails once the client gives up; that is fine
	}
}

func TestHeaderLimitIsExact(t *testing.T) {
	const head = "HTTP/1.1 200 OK\r\nServer: exact\r\nContent-Length: 0\r\n\r\n"
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		if readRequestHead(br) == nil {
			fmt.Fprint(c, head)
		}
	})
	res, err := probe(t, fmt.Sprintf(`{"max_header_bytes": %d}`, len(head)), addr)
	if err != nil || res.Attributes["http.server"] != "exact" {
		t.Fatalf("headers of exactly the limit: res = %+v, err = %v", res, err)
	}
	_, err = probe(t, fmt.Sprintf(`{"max_header_bytes": %d}`, len(head)-1), addr)
	wantFailure(t, err, sdk.KindProtocol, fmt.Sprintf("response headers exceed %d bytes", len(head)-1))
}

// silentServer reads the request and never answers until the client leaves.
func silentServer(t *testing.T) string {
	return startRaw(t, func(c net.Conn, br *bufio.Reader) {
		if readRequestHead(br) == nil {
			_, _ = br.ReadByte() // returns when the client closes or the deadline passes
		}
	})
}

// The deadline and cancellation tests call Run directly: through the RPC
// layer, the RPC's own deadline would race the phase's.
func TestDeadlineIsTimeout(t *testing.T) {
	addr := silentServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := httpphase.New().Run(ctx, &sdk.Request{Target: targetOf(t, addr), Conn: dial(t, addr)})
	if sdk.Classify(err) != sdk.KindTimeout || !strings.HasPrefix(err.Error(), "reading the response to HEAD /: ") {
		t.Fatalf("err = %v (kind %q)", err, sdk.Classify(err))
	}
	if res == nil || res.Duration <= 0 {
		t.Errorf("partial result = %+v", res)
	}
}

func TestCancelIsCanceled(t *testing.T) {
	addr := silentServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := httpphase.New().Run(ctx, &sdk.Request{Target: targetOf(t, addr), Conn: dial(t, addr)})
	wantFailure(t, err, sdk.KindCanceled, "reading the response to HEAD /: canceled")
}

func TestNoConnectionIsInputError(t *testing.T) {
	_, err := sdktest.New(t, httpphase.New()).Run(testContext(t), &sdk.Request{Target: sdk.Target{Host: "h", Port: 80}})
	wantFailure(t, err, sdk.KindInput, "no connection to send the request on (a tcp or tls phase must come first)")
}

func TestRunIsSafeConcurrently(t *testing.T) {
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := srv.Listener.Addr().String()
	p := httpphase.New()
	const n = 8
	errs := make(chan error, n)
	ctx := testContext(t)
	for range n {
		req := &sdk.Request{Target: targetOf(t, addr), Conn: dial(t, addr)}
		go func() {
			_, err := p.Run(ctx, req)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(rec.all()); got != n {
		t.Errorf("server saw %d requests, want %d", got, n)
	}
}

func TestRefusesASessionThatAgreedOnH2(t *testing.T) {
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := srv.Listener.Addr().String()
	h := sdktest.New(t, httpphase.New())
	h.Configure(t, `{}`)
	_, err := h.Run(testContext(t), &sdk.Request{Target: targetOf(t, addr), Conn: dial(t, addr),
		Attributes: sdk.Attributes{"tls.alpn": "h2"}})
	want := `the TLS session agreed on ALPN "h2", but this phase speaks HTTP/1.1 only: offer alpn = ["http/1.1"] in the tls plugin`
	if sdktest.Kind(err) != sdk.KindProtocol || err.Error() != want {
		t.Errorf("err = %v (kind %q)", err, sdktest.Kind(err))
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("sent %d requests over an h2 session", n)
	}
}

func TestKeepAliveAttributeNeedsBothSides(t *testing.T) {
	// The server does not echo "Connection: close", but the probe asked
	// for it: the connection is not being kept.
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	res, err := probe(t, `{}`, addr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributes["http.keep_alive"] != false || res.Reusable {
		t.Errorf("keep_alive = %v, reusable = %v; want false, false", res.Attributes["http.keep_alive"], res.Reusable)
	}
}

func TestContentLengthOfA304IsReported(t *testing.T) {
	// Go's own server drops Content-Length from a 304; real servers send it.
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\n\r\n")
	})
	res, err := probe(t, `{}`, addr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributes["http.content_length"] != int64(1234) {
		t.Errorf("http.content_length = %v, want 1234", res.Attributes["http.content_length"])
	}
}

func TestHostHeaderFollowsTheTLSServerName(t *testing.T) {
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	addr := srv.Listener.Addr().String()
	target := targetOf(t, addr)
	h := sdktest.New(t, httpphase.New())
	h.Configure(t, `{}`)
	if _, err := h.Run(testContext(t), &sdk.Request{Target: target, Conn: dial(t, addr),
		Attributes: sdk.Attributes{"tls.server_name": "www.probe.test"}}); err != nil {
		t.Fatal(err)
	}
	want := "www.probe.test:" + strconv.Itoa(target.Port)
	if got := rec.all()[0].Host; got != want {
		t.Errorf("Host = %q, want %q (the name sent as SNI)", got, want)
	}
}

// A body that never ends holds the read until the deadline; the result
// says the body was incomplete and why, instead of passing quietly.
func TestStreamingBodyIsReportedIncomplete(t *testing.T) {
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
		time.Sleep(time.Second) // the stream goes quiet past the budget
	})
	h := sdktest.New(t, httpphase.New())
	h.Configure(t, `{"method": "GET"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	res, err := h.Run(ctx, &sdk.Request{Target: targetOf(t, addr), Conn: dial(t, addr)})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Attributes["http.body_complete"] != false || res.Attributes["http.body_error"] == nil || res.Reusable {
		t.Errorf("attributes = %v, reusable = %v", res.Attributes, res.Reusable)
	}
	// The read is measured as its own figure, outside the phase's Duration.
	if transfer, ok := res.Attributes["http.transfer"].(time.Duration); !ok || transfer <= 0 {
		t.Errorf("http.transfer = %v, want the time spent reading the body", res.Attributes["http.transfer"])
	}
}

// A host attribute with an internationalised name is sent as its A-label.
func TestHostOverrideUsesTheALabel(t *testing.T) {
	srv, rec := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	if _, err := probe(t, `{"host": "Bücher.probe.test:8443"}`, srv.Listener.Addr().String()); err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := rec.all()[0].Host; got != "xn--bcher-kva.probe.test:8443" {
		t.Errorf("server saw Host %q, want xn--bcher-kva.probe.test:8443", got)
	}
	problems := sdktest.New(t, httpphase.New()).Configure(t, `{"host": "a\u200db.probe.test"}`)
	if len(problems) != 1 || problems[0].Attribute != "host" || !strings.Contains(problems[0].Err.Error(), "not a valid internationalised domain name") {
		t.Errorf("problems = %v, want host: not a valid internationalised domain name", problems)
	}
}

// A server that answers a keep-alive HEAD with a body: the connection is
// not reusable, and the result says why.
func TestBytesAfterAHEADResponseAreTheReasonReuseIsDropped(t *testing.T) {
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
		time.Sleep(200 * time.Millisecond)
	})
	res, err := probe(t, `{"keep_alive": true}`, addr)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := "5 bytes followed the response to HEAD, which has no body (RFC 9110 §9.3.2): the server sent a body"
	if res.Reusable || res.Attributes["http.not_reusable"] != want {
		t.Errorf("reusable %v, http.not_reusable %q; want false and %q", res.Reusable, res.Attributes["http.not_reusable"], want)
	}

	closing, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Connection", "close") })
	res, err = probe(t, `{"keep_alive": true}`, closing.Listener.Addr().String())
	if err != nil || res.Attributes["http.not_reusable"] != "the server closes the connection after this response" {
		t.Errorf("server closing: err %v, http.not_reusable %q", err, res.Attributes["http.not_reusable"])
	}
	open, _ := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {})
	if res, err := probe(t, `{"keep_alive": true}`, open.Listener.Addr().String()); err != nil || !res.Reusable || res.Attributes["http.not_reusable"] != nil {
		t.Errorf("reusable connection: err %v, attributes %v", err, res.Attributes)
	}
	if res, err := probe(t, `{}`, open.Listener.Addr().String()); err != nil || res.Attributes["http.not_reusable"] != nil {
		t.Errorf("keep-alive not asked: err %v, http.not_reusable %v; want none", err, res.Attributes["http.not_reusable"])
	}
}

// 103 Early Hints, then the 200 later: as curl's time_starttransfer,
// http.ttfb is the first byte of any response (the 103's); the final
// response's first byte and the interim statuses are reported too.
func TestEarlyHintsFirstByteIsTheInterimsAsInCurl(t *testing.T) {
	addr := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		_, _ = http.ReadRequest(br)
		_, _ = io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
		time.Sleep(100 * time.Millisecond)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	res, err := probe(t, `{}`, addr)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	ttfb, _ := res.Attributes["http.ttfb"].(time.Duration)
	final, ok := res.Attributes["http.final_ttfb"].(time.Duration)
	if res.Attributes["http.status"] != int64(200) || fmt.Sprint(res.Attributes["http.interim"]) != "[103 Early Hints]" {
		t.Errorf("attributes = %v, want status 200 after the interim 103 Early Hints", res.Attributes)
	}
	if !ok || ttfb <= 0 || final <= ttfb || final > res.Duration {
		t.Errorf("http.ttfb %v, http.final_ttfb %v, duration %v; want the 103's first byte, then the 200's, within the phase", ttfb, final, res.Duration)
	}
}
