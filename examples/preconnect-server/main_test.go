package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/internal/syncbuf"
)

// started is a server running in this test.
type started struct {
	url  string
	logs *syncbuf.Buffer
	done chan error
	stop context.CancelFunc
}

func start(t *testing.T, args ...string) *started {
	t.Helper()
	t.Setenv("PRECONNECT_HOSTS", "")
	opts, err := parseArgs(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{url: "http://" + ln.Addr().String(), logs: &syncbuf.Buffer{}, done: make(chan error, 1), stop: cancel}
	go func() { s.done <- serve(ctx, opts, ln, slog.New(slog.NewTextHandler(s.logs, nil))) }()
	t.Cleanup(func() { s.shutdown(t) })
	return s
}

func (s *started) shutdown(t *testing.T) {
	s.stop()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
		s.done <- nil // a second shutdown returns at once
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop within 10s")
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitHealthz polls /healthz until it stops saying "warming" (at most 5 s).
func waitHealthz(t *testing.T, s *started) (int, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := get(t, s.url+"/healthz")
		if !strings.Contains(body, "warming") {
			return code, body
		}
		if time.Now().After(deadline) {
			t.Fatal("still warming after 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServerStartsWarm(t *testing.T) {
	tb, err := testbed.Start(testbed.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	https := "https://secure.probe.test:" + strings.Split(tb.HTTPSAddr, ":")[1] + "/"
	plain := "http://www.probe.test:" + strings.Split(tb.HTTPAddr, ":")[1] + "/"
	s := start(t, "--upstream", https, "--upstream", plain, "--dns-server", tb.DNSAddr, "--ca-file", tb.CAFile)
	if code, body := waitHealthz(t, s); code != 200 || body != "ready\n" {
		t.Fatalf("healthz %d %q; logs:\n%s", code, body, s.logs)
	}
	deadline := time.Now().Add(5 * time.Second) // the servers count accepts a moment after the client connected
	for (tb.Accepted("https") != 1 || tb.Accepted("http") != 1) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	queries := len(tb.DNSQueries())
	code, body := get(t, s.url+"/")
	if code != 200 || strings.Count(body, "200 OK") != 2 || strings.Count(body, "(connection preconnected") != 2 {
		t.Errorf("GET / = %d:\n%s", code, body)
	}
	if tb.Accepted("https") != 1 || tb.Accepted("http") != 1 || len(tb.DNSQueries()) != queries {
		t.Errorf("the first requests made connections (https %d, http %d) or DNS queries (%d more)",
			tb.Accepted("https"), tb.Accepted("http"), len(tb.DNSQueries())-queries)
	}
	if n := strings.Count(s.logs.String(), `msg="first upstream request"`); n != 2 || !strings.Contains(s.logs.String(), `connection="preconnected`) {
		t.Errorf("%d first-request log lines; logs:\n%s", n, s.logs)
	}
	get(t, s.url+"/")
	if n := strings.Count(s.logs.String(), `msg="first upstream request"`); n != 2 {
		t.Errorf("later requests logged as first: %d lines", n)
	}
}

func TestServerReportsUpstreamsItCannotReach(t *testing.T) {
	tb, err := testbed.Start(testbed.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	missing := "http://missing.probe.test:" + strings.Split(tb.HTTPAddr, ":")[1] + "/"
	s := start(t, "--upstream", missing, "--dns-server", tb.DNSAddr)
	code, body := waitHealthz(t, s)
	if code != 503 || !strings.Contains(body, "not preconnected: "+missing) {
		t.Errorf("healthz %d %q", code, body)
	}
	if !strings.Contains(s.logs.String(), "nxdomain") {
		t.Errorf("logs do not say why:\n%s", s.logs)
	}
}

func TestParseArgsRejects(t *testing.T) {
	for _, c := range []struct {
		env  string
		args []string
		want string
	}{
		{"", nil, "no upstreams: give --upstream URL or set PRECONNECT_HOSTS"},
		{"", []string{"--upstream", "ftp://x.test/"}, `--upstream: URL "ftp://x.test/": the scheme must be http or https`},
		{"db.test:5432:tcp", nil, `PRECONNECT_HOSTS entry "db.test:5432:tcp": an upstream is http or https`},
		{"db.test:tcp", nil, `PRECONNECT_HOSTS entry 1 "db.test:tcp": want host:port:proto`},
		{"", []string{"--upstream", "http://x.test/", "extra"}, `unexpected argument "extra"`},
	} {
		t.Setenv("PRECONNECT_HOSTS", c.env)
		_, err := parseArgs(c.args, io.Discard)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q %v: %v, want %s", c.env, c.args, err, c.want)
		}
	}
	t.Setenv("PRECONNECT_HOSTS", "api.test:8443:https")
	o, err := parseArgs([]string{"--upstream", "http://web.test:8080/x"}, io.Discard)
	if err != nil || len(o.upstreams) != 2 || o.upstreams[1].url != "https://api.test:8443/" || o.upstreams[0].target.Port != 8080 {
		t.Errorf("upstreams %+v, %v", o.upstreams, err)
	}
}
