package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/internal/syncbuf"
)

// runAsync runs run in the background and returns its exit code channel.
func runAsync(args []string, stdout, stderr *syncbuf.Buffer) <-chan int {
	code := make(chan int, 1)
	go func() { code <- run(args, strings.NewReader(""), stdout, stderr) }()
	return code
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exitCodeWithin(t *testing.T, code <-chan int) int {
	t.Helper()
	select {
	case c := <-code:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("probe-testbed did not exit")
		return -1
	}
}

func TestCommandGetsVariablesAndItsExitCodeIsKept(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr syncbuf.Buffer
	script := `test -f "$PROBE_VAR_ca_file" || exit 1
printf '%s %s %s %s\n' "$PROBE_VAR_dns_server" "$PROBE_VAR_http_port" "$PROBE_VAR_https_port" "$PROBE_VAR_tcp_port"
exit 3`
	code := run([]string{"--dir", dir, "--", "sh", "-c", script}, strings.NewReader(""), &stdout, &stderr)
	if code != 3 {
		t.Fatalf("exit code %d, want 3 (stderr %q)", code, stderr.String())
	}
	fields := strings.Fields(stdout.String())
	if len(fields) != 4 || !strings.HasPrefix(fields[0], "127.0.0.1:") {
		t.Errorf("command printed %q, want the DNS address and three ports", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err != nil {
		t.Errorf("--dir: %v", err)
	}
}

// With --dns-no-udp, the DNS server the command is given answers over TCP
// and drops UDP queries.
func TestDNSNoUDPFlag(t *testing.T) {
	dir := t.TempDir()
	addrFile, release := filepath.Join(dir, "addr"), filepath.Join(dir, "release")
	// Write the address, then wait (at most 10 s) for the test to finish.
	script := `printf '%s' "$PROBE_VAR_dns_server" > "$0.tmp" && mv "$0.tmp" "$0"
i=0; while [ ! -f "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done`
	var stdout, stderr syncbuf.Buffer
	code := runAsync([]string{"--dns-no-udp", "--", "sh", "-c", script, addrFile, release}, &stdout, &stderr)
	defer func() {
		os.WriteFile(release, nil, 0o644)
		if c := exitCodeWithin(t, code); c != 0 {
			t.Errorf("exit code %d (stderr %q)", c, stderr.String())
		}
	}()
	var addr []byte
	waitFor(t, "the DNS address", func() bool { addr, _ = os.ReadFile(addrFile); return len(addr) > 0 })
	q := new(dns.Msg).SetQuestion("www.probe.test.", dns.TypeA)
	if _, _, err := (&dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}).Exchange(q, string(addr)); err == nil {
		t.Error("a UDP query was answered despite --dns-no-udp")
	}
	r, _, err := (&dns.Client{Net: "tcp", Timeout: 2 * time.Second}).Exchange(q, string(addr))
	if err != nil || len(r.Answer) != 1 {
		t.Errorf("TCP query with --dns-no-udp = %v, %v; want one answer", r, err)
	}
}

func TestSignalIsForwardedToTheCommand(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	var stdout, stderr syncbuf.Buffer
	script := `trap 'exit 7' TERM; touch "$0"; while :; do sleep 0.05; done`
	code := runAsync([]string{"--", "sh", "-c", script, ready}, &stdout, &stderr)
	waitFor(t, "the command to start", func() bool { _, err := os.Stat(ready); return err == nil })
	// run has registered for SIGTERM before starting the command, so this
	// reaches run, not the default handler.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if c := exitCodeWithin(t, code); c != 7 {
		t.Errorf("exit code %d, want 7 from the command's TERM trap (stderr %q)", c, stderr.String())
	}
}

func TestWithoutCommandPrintsExportsAndServesUntilSignal(t *testing.T) {
	var stdout, stderr syncbuf.Buffer
	code := runAsync(nil, &stdout, &stderr)
	waitFor(t, "the export lines", func() bool { return strings.Contains(stderr.String(), "Ctrl-C stops") })
	out := stdout.String()
	for _, name := range []string{"ca_file", "dns_server", "dot_server", "doh_url", "http_port", "https_port", "tcp_port"} {
		if !strings.Contains(out, "export PROBE_VAR_"+name+"=") {
			t.Errorf("output lacks PROBE_VAR_%s:\n%s", name, out)
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if c := exitCodeWithin(t, code); c != 0 {
		t.Errorf("exit code %d after SIGINT, want 0", c)
	}
}

func TestUsageAndBadInvocations(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-h"}, 0, "usage: probe-testbed [--dir DIR] [--dns-no-udp] [-- COMMAND [ARGS...]]"},
		{[]string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"--", "/nonexistent/command"}, 127, "probe-testbed: fork/exec /nonexistent/command: no such file or directory"},
	}
	for _, tt := range tests {
		var stdout, stderr syncbuf.Buffer
		code := run(tt.args, strings.NewReader(""), &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5353":   "127.0.0.1:5353",
		"/tmp/a b/ca.pem":  "'/tmp/a b/ca.pem'",
		"/tmp/it's/ca.pem": `'/tmp/it'\''s/ca.pem'`,
		"":                 "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
