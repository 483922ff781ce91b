//go:build linux

package cli_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testbedHeader declares the testbed's variables and points the dns and
// tls plugins at its DNS server and CA.
const testbedHeader = `
variable "dns_server" {}
variable "http_port" {}
variable "https_port" {}
variable "tcp_port" {}
variable "ca_file" {}

plugin "dns" {
  config {
    servers = [var.dns_server]
  }
}

plugin "tls" {
  config {
    ca_file = var.ca_file
  }
}
`

// The good targets are served by the testbed; the bad ones fail in dns
// (nxdomain) and tcp (connection refused).
const (
	webTarget = `
target "web" {
  host     = "www.probe.test"
  port     = var.http_port
  protocol = "http"
}
`
	secureTarget = `
target "secure" {
  host     = "secure.probe.test"
  port     = var.https_port
  protocol = "https"
}
`
	rawTarget = `
target "raw" {
  host     = "127.0.0.1"
  port     = var.tcp_port
  protocol = "tcp"
}
`
	missingTarget = `
target "missing" {
  host     = "missing.probe.test"
  port     = var.http_port
  protocol = "http"
}
`
)

// closedTarget is a target on a loopback port nothing listens on.
func closedTarget(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return fmt.Sprintf("\ntarget \"closed\" {\n  host     = \"127.0.0.1\"\n  port     = %d\n  protocol = \"tcp\"\n}\n", port)
}

// targetsFile writes the testbed header and the targets to a file.
func targetsFile(t *testing.T, targets ...string) string {
	file := filepath.Join(t.TempDir(), "targets.hcl")
	writeFile(t, file, testbedHeader+strings.Join(targets, ""))
	return file
}

func mixedTargets(t *testing.T) string {
	return targetsFile(t, webTarget, secureTarget, rawTarget, missingTarget, closedTarget(t))
}

func TestStatusTableNamesWhatIsDown(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "status", mixedTargets(t))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, re := range []string{
		`(?m)^STATUS +TARGET +ADDRESS +OK/N +P50 +P90 +MAX$`,
		`(?m)^up +web +www\.probe\.test:\d+/http +3/3( +\d+\.\d+){3}$`,
		`(?m)^up +secure +secure\.probe\.test:\d+/https +3/3( +\d+\.\d+){3}$`,
		`(?m)^up +raw +127\.0\.0\.1:\d+/tcp +3/3( +\d+\.\d+){3}$`,
		`(?m)^down +missing +missing\.probe\.test:\d+/http +0/3( +-){3}\n +dns: nxdomain: missing\.probe\.test does not exist`,
		`(?m)^down +closed +127\.0\.0\.1:\d+/tcp +0/3( +-){3}\n +tcp: refused: .*connection refused`,
		`(?m)^3 up, 2 down$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("output does not match %s:\n%s", re, r.stdout)
		}
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if len([]rune(line)) > 80 && !strings.HasPrefix(line, " ") {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour on a pipe:\n%q", r.stdout)
	}
}

func TestStatusAllUpExitsZero(t *testing.T) {
	tb := startTestbed(t)
	file := targetsFile(t, webTarget, secureTarget, rawTarget)
	r := runProbe(t, tb, "status", file, "--count", "2", "--sequential")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "\n3 up, 0 down\n") || strings.Count(r.stdout, " 2/2 ") != 3 {
		t.Errorf("want three targets up, 2/2 each:\n%s", r.stdout)
	}
}

type statusDoc struct {
	Schema  string `json:"schema"`
	Targets []struct {
		Name      string `json:"name"`
		Host      string `json:"host"`
		Port      int    `json:"port"`
		Protocol  string `json:"protocol"`
		Status    string `json:"status"`
		Probes    int    `json:"probes"`
		OK        int    `json:"ok"`
		LastError *struct {
			Phase, Kind, Message string
		} `json:"last_error"`
		Total struct {
			P50MS *float64 `json:"p50_ms"`
			P90MS *float64 `json:"p90_ms"`
			MaxMS *float64 `json:"max_ms"`
		} `json:"total"`
	} `json:"targets"`
	Up, Degraded, Down, Unknown int
}

func decodeStatus(t *testing.T, r result) statusDoc {
	t.Helper()
	var doc statusDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return doc
}

func TestStatusJSON(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "status", mixedTargets(t), "--format", "json", "--count", "2")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	doc := decodeStatus(t, r)
	if doc.Schema != "probe.status/v1" || doc.Up != 3 || doc.Down != 2 || doc.Degraded != 0 || doc.Unknown != 0 {
		t.Errorf("schema %q, up %d, down %d, degraded %d, unknown %d", doc.Schema, doc.Up, doc.Down, doc.Degraded, doc.Unknown)
	}
	wantDown := map[string]string{"missing": "dns nxdomain", "closed": "tcp refused"}
	for _, tg := range doc.Targets {
		if tg.Probes != 2 || tg.Host == "" || tg.Port == 0 || tg.Protocol == "" {
			t.Errorf("%s: %+v", tg.Name, tg)
		}
		if want, down := wantDown[tg.Name]; down {
			e := tg.LastError
			if tg.Status != "down" || tg.OK != 0 || e == nil || e.Phase+" "+e.Kind != want || e.Message == "" || tg.Total.P50MS != nil {
				t.Errorf("%s: want down with %s: %+v (last_error %+v)", tg.Name, want, tg, e)
			}
			continue
		}
		if tg.Status != "up" || tg.OK != 2 || tg.LastError != nil || tg.Total.P50MS == nil || *tg.Total.P50MS <= 0 ||
			*tg.Total.MaxMS < *tg.Total.P50MS {
			t.Errorf("%s: want up with times: %+v", tg.Name, tg)
		}
	}
}

// flakyServer answers HEAD requests with the given statuses in turn, then
// 200.
func flakyServer(t *testing.T, statuses ...int) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			w.WriteHeader(statuses[i])
			return
		}
		w.WriteHeader(http.StatusOK)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

func flakyTarget(port int) string {
	return fmt.Sprintf("\ntarget \"flaky\" {\n  host     = \"127.0.0.1\"\n  port     = %d\n  protocol = \"http\"\n}\n", port)
}

// A target whose last probe succeeded after an earlier failure is degraded
// and still counts as reachable (exit 0); one whose last probe failed is
// down even if earlier ones succeeded.
func TestStatusDegradedAndDownByLastProbe(t *testing.T) {
	tb := startTestbed(t)
	degraded := runProbe(t, tb, "status", targetsFile(t, flakyTarget(flakyServer(t, 503))), "--format", "json")
	if degraded.code != 0 {
		t.Fatalf("degraded: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", degraded.code, degraded.stdout, degraded.stderr)
	}
	doc := decodeStatus(t, degraded)
	if tg := doc.Targets[0]; tg.Status != "degraded" || tg.OK != 2 || tg.LastError == nil || tg.LastError.Kind != "http_status" {
		t.Errorf("flaky: want degraded after a 503: %+v", tg)
	}
	if doc.Degraded != 1 || doc.Up != 0 {
		t.Errorf("counts: up %d, degraded %d", doc.Up, doc.Degraded)
	}

	// --strict: degraded fails too, for alerting.
	strict := runProbe(t, tb, "status", targetsFile(t, flakyTarget(flakyServer(t, 503))), "--strict")
	if strict.code != 1 || !strings.Contains(strict.stdout, "degraded") {
		t.Errorf("--strict with a degraded target: exit %d, want 1\n%s", strict.code, strict.stdout)
	}
	healthy := runProbe(t, tb, "status", targetsFile(t, flakyTarget(flakyServer(t))), "--strict")
	if healthy.code != 0 {
		t.Errorf("--strict with every target up: exit %d, want 0\n%s", healthy.code, healthy.stdout)
	}

	down := runProbe(t, tb, "status", targetsFile(t, flakyTarget(flakyServer(t, 200, 200, 503))))
	if down.code != 1 {
		t.Fatalf("down: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", down.code, down.stdout, down.stderr)
	}
	if !regexp.MustCompile(`(?m)^down +flaky +127\.0\.0\.1:\d+/http +2/3 .*\n +http: http_status: .*503`).MatchString(down.stdout) {
		t.Errorf("want flaky down 2/3 with the 503 named:\n%s", down.stdout)
	}
}

func TestStatusUsageErrors(t *testing.T) {
	// Never probed: every case fails before a plugin starts.
	file := filepath.Join(t.TempDir(), "t.hcl")
	writeFile(t, file, "target \"raw\" {\n  host     = \"127.0.0.1\"\n  port     = 1\n  protocol = \"tcp\"\n}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", file, "--format", "xml"}, `invalid argument "xml" for "--format" flag: want table, json or ndjson`},
		{[]string{"status", file, file}, "accepts at most 1 arg"},
		{[]string{"status", file, "--count", "0"}, "--count must be at least 1"},
		{[]string{"status", file, "--target", "nope"}, `--target "nope": no such target (have: raw)`},
	} {
		r := runProbe(t, nil, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, want 2 and %q on stderr\nstdout:\n%s\nstderr:\n%s", tc.args, r.code, tc.want, r.stdout, r.stderr)
		}
	}
}

// interrupted runs a long probe of the https target and stops it with
// SIGTERM once the testbed has seen its second request, so at least one
// probe has finished.
func interrupted(t *testing.T, args ...string) result {
	t.Helper()
	tb := startTestbed(t)
	args = append(args, longRun(t), "--count", "100", "--interval", "100ms")
	cmd, stdout, stderr := probeCmd(t, tb, t.TempDir(), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(tb.Requests("https")) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("probe %v did not stop after SIGTERM; stderr:\n%s", args, stderr)
	}
	checkContract(t, args, stdout.String())
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

func TestStatusInterruptedExits130(t *testing.T) {
	r := interrupted(t, "status")
	if r.code != 130 {
		t.Fatalf("exit %d, want 130\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^up +secure .*\n\n1 up, 0 down\n(.*\n)?interrupted: `).MatchString(r.stdout) {
		t.Errorf("want secure up and the run marked interrupted:\n%s", r.stdout)
	}
}
