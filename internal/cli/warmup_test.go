//go:build linux

package cli_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/internal/loopback"
)

type warmDoc struct {
	Schema   string   `json:"schema"`
	Features []string `json:"features"`
	Targets  []struct {
		Name       string `json:"name"`
		WarmProbes int    `json:"warm_probes"`
		WarmOK     int    `json:"warm_ok"`
		Reused     int    `json:"reused"`
		Resumed    int    `json:"resumed"`
		Cached     int    `json:"cached"`
	} `json:"targets"`
}

func warmTargets(t *testing.T, out string) map[string]int {
	var doc warmDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	m := map[string]int{}
	for _, tg := range doc.Targets {
		m[tg.Name+".warm_ok"] = tg.WarmOK
		m[tg.Name+".reused"] = tg.Reused
		m[tg.Name+".resumed"] = tg.Resumed
		m[tg.Name+".cached"] = tg.Cached
	}
	return m
}

func TestWarmupReusesConnections(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "warmup", example(t, "testbed.hcl"), "--count", "4", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	got := warmTargets(t, r.stdout)
	for _, name := range []string{"web", "secure"} {
		if got[name+".warm_ok"] != 3 || got[name+".reused"] != 3 {
			t.Errorf("%s: %v; want 3 warm probes, all on the kept connection", name, got)
		}
	}
	// One connection per target: the cold probe's, kept for the warm ones.
	if n := tb.Accepted("https"); n != 1 {
		t.Errorf("https server accepted %d connections, want 1", n)
	}
	if reqs := tb.Requests("https"); len(reqs) != 4 {
		t.Errorf("https server saw %d requests, want 4", len(reqs))
	}
}

func TestWarmupWithoutReuseCachesAndResumes(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "warmup", example(t, "testbed.hcl"), "false", "--count", "3", "--reuse=false", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	got := warmTargets(t, r.stdout)
	if got["secure.reused"] != 0 || got["secure.resumed"] != 2 || got["secure.cached"] != 2 {
		t.Errorf("secure: %v; want 2 warm probes on new connections, each resuming TLS and hitting the DNS cache", got)
	}
	if n := tb.Accepted("https"); n != 3 {
		t.Errorf("https server accepted %d connections, want 3 (one per probe)", n)
	}
	if q := tb.DNSQueries(); len(q) != 2*2 {
		// web and secure each resolve A and AAAA once; the cache answers after that.
		t.Errorf("DNS server got %d queries, want 4 (the cold lookups only): %v", len(q), q)
	}
}

func TestWarmupTableAndUsage(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "warmup", example(t, "testbed.hcl"), "--count", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "warm 1/1 ok: connection reused 1") || !strings.Contains(r.stdout, "SAVED%") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runProbe(t, tb, "warmup", example(t, "testbed.hcl"), "--count", "1")
	if r.code != 2 || !strings.Contains(r.stderr, "--count must be at least 2") {
		t.Errorf("count 1: exit %d, stderr %s", r.code, r.stderr)
	}
	r = runProbe(t, tb, "warmup", "a.hcl", "b.hcl")
	if r.code != 2 {
		t.Errorf("two files: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestWarmupNamesWhyATargetFailed(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "warmup", example(t, "mixed.hcl"), "--count", "2")
	if r.code != 1 || !strings.Contains(r.stdout, "failures:\n  missing dns: nxdomain: missing.probe.test does not exist") {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}

// A server that answers a keep-alive HEAD with a body: no warm probe can
// reuse the connection, and warmup says why in its summary and JSON.
func TestWarmupSaysWhyReuseWasDropped(t *testing.T) {
	port := loopback.ServeTest(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		for {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
		}
	}).Port()
	file := filepath.Join(t.TempDir(), "head-body.hcl")
	src := fmt.Sprintf("target \"rude\" {\n  host     = \"127.0.0.1\"\n  port     = %d\n  protocol = \"http\"\n}\n", port)
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	why := "5 bytes followed the response to HEAD, which has no body (RFC 9110 §9.3.2): the server sent a body"
	r := runProbe(t, nil, "warmup", file, "--count", "3")
	if r.code != 0 || !strings.Contains(r.stdout, "connection reused 0") || !strings.Contains(r.stdout, "not reusable: "+why+" (3×)") {
		t.Errorf("exit %d; want the reason in the summary:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	j := runProbe(t, nil, "warmup", file, "--count", "3", "--format", "json")
	var doc struct {
		Targets []struct {
			NotReusable []struct {
				Reason string `json:"reason"`
				Count  int    `json:"count"`
			} `json:"not_reusable"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &doc); err != nil || len(doc.Targets) != 1 || len(doc.Targets[0].NotReusable) != 1 || doc.Targets[0].NotReusable[0].Reason != why {
		t.Errorf("JSON not_reusable = %+v (%v):\n%s", doc, err, j.stdout)
	}
}
