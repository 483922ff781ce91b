//go:build linux

package preconnect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/preconnect"
)

// The CLI runs on Linux only; these tests compare the library with it.

var (
	buildOnce sync.Once
	probeBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if probeBin != "" {
		os.RemoveAll(filepath.Dir(probeBin))
	}
	os.Exit(code)
}

// probeBinary builds cmd/probe once for the package's tests.
func probeBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "preconnect-cli-")
		if err != nil {
			buildErr = err
			return
		}
		_, file, _, _ := runtime.Caller(0)
		probeBin = filepath.Join(dir, "probe")
		cmd := exec.Command("go", "build", "-o", probeBin, "./cmd/probe")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/probe: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return probeBin
}

// cliFile is a targets file naming the same targets as cliTargets.
const cliFile = `
variable "dns_server" {}
variable "ca_file" {}
variable "http_port" {}
variable "https_port" {}
variable "tcp_port" {}
variable "closed_port" {}

plugin "dns" {
  config { servers = [var.dns_server] }
}
plugin "tls" {
  config { ca_file = var.ca_file }
}

target "secure" {
  host = "secure.probe.test"
  port = var.https_port
  protocol = "https"
}
target "web" {
  host = "www.probe.test"
  port = var.http_port
  protocol = "http"
}
target "raw" {
  host = "127.0.0.1"
  port = var.tcp_port
  protocol = "tcp"
}
target "missing" {
  host = "missing.probe.test"
  port = var.http_port
  protocol = "http"
}
target "broken" {
  host = "servfail.probe.test"
  port = var.http_port
  protocol = "http"
}
target "refused" {
  host = "127.0.0.1"
  port = var.closed_port
  protocol = "tcp"
}
target "notls" {
  host = "www.probe.test"
  port = var.http_port
  protocol = "tls"
}
`

// cliTargets are cliFile's targets for the library.
func cliTargets(t *testing.T, tb *testbed.Testbed, closedPort int) []preconnect.Target {
	httpPort, httpsPort, tcpPort := port(t, tb.HTTPAddr), port(t, tb.HTTPSAddr), port(t, tb.TCPAddr)
	return []preconnect.Target{
		{Name: "secure", Host: "secure.probe.test", Port: httpsPort, Protocol: "https"},
		{Name: "web", Host: "www.probe.test", Port: httpPort, Protocol: "http"},
		{Name: "raw", Host: "127.0.0.1", Port: tcpPort, Protocol: "tcp"},
		{Name: "missing", Host: "missing.probe.test", Port: httpPort, Protocol: "http"},
		{Name: "broken", Host: "servfail.probe.test", Port: httpPort, Protocol: "http"},
		{Name: "refused", Host: "127.0.0.1", Port: closedPort, Protocol: "tcp"},
		{Name: "notls", Host: "www.probe.test", Port: httpPort, Protocol: "tls"},
	}
}

// runCLI runs probe with the testbed's variables and returns stdout.
func runCLI(t *testing.T, tb *testbed.Testbed, closed int, args ...string) []byte {
	t.Helper()
	file := filepath.Join(t.TempDir(), "targets.hcl")
	if err := os.WriteFile(file, []byte(cliFile), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, probeBinary(t), append(args, file)...)
	cmd.Env = append(os.Environ(), "PRECONNECT_HOSTS=", "PROBE_LOG=", "TMPDIR="+t.TempDir(),
		fmt.Sprintf("%sclosed_port=%d", testbed.EnvPrefix, closed))
	cmd.Env = append(cmd.Env, tb.Env()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) { // 1: some probe failed
		t.Fatalf("probe %v: %v\n%s", args, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// Host and All give the phase lists and error kinds `probe preconnect`
// gives for the same targets.
func TestAllMatchesProbePreconnect(t *testing.T) {
	tb := startTestbed(t)
	closed := closedPort(t)
	var doc struct {
		Schema  string
		Targets []struct {
			Name   string
			Phases []struct {
				Phase, Status string
				Error         *struct{ Kind string }
			}
		}
	}
	if err := json.Unmarshal(runCLI(t, tb, closed, "preconnect", "--format", "json"), &doc); err != nil {
		t.Fatal(err)
	}
	cli := map[string]string{}
	for _, tg := range doc.Targets {
		var items []string
		for _, p := range tg.Phases {
			s := p.Phase + ":" + p.Status
			if p.Error != nil {
				s += ":" + p.Error.Kind
			}
			items = append(items, s)
		}
		cli[tg.Name] = strings.Join(items, " ")
	}
	client, err := preconnect.New(testbedConfig(tb))
	if err != nil {
		t.Fatal(err)
	}
	targets := cliTargets(t, tb, closed)
	var seen []string
	results := client.All(context.Background(), targets, preconnect.Options{OnResult: func(r preconnect.Result) { seen = append(seen, r.Target.Name) }})
	if len(seen) != len(targets) {
		t.Errorf("OnResult saw %v", seen)
	}
	kinds := map[string]bool{}
	for i, r := range results {
		if r.Target.Name != targets[i].Name {
			t.Fatalf("result %d is %s, want %s", i, r.Target.Name, targets[i].Name)
		}
		t.Logf("%-8s %s", r.Target.Name, outline(r))
		if got, want := outline(r), cli[r.Target.Name]; got != want {
			t.Errorf("%s: library %q, CLI %q", r.Target.Name, got, want)
		}
		if r.Err != nil {
			kinds[string(r.Err.(*preconnect.Error).Kind)] = true
		}
		single, _ := client.Host(context.Background(), targets[i])
		if outline(single) != outline(r) {
			t.Errorf("%s: Host %q, All %q", r.Target.Name, outline(single), outline(r))
		}
	}
	for _, k := range []string{"nxdomain", "servfail", "refused", "tls"} {
		if !kinds[k] {
			t.Errorf("no target failed with kind %s: the comparison does not cover it (%v)", k, kinds)
		}
	}
}

// Stats over three probes of each target gives the counts and error kinds
// `probe run --count 3` gives.
func TestStatsMatchesProbeRun(t *testing.T) {
	tb := startTestbed(t)
	closed := closedPort(t)
	var rep struct {
		Targets []struct {
			Name, Protocol string
			Probes, OK     int
			Phases         []struct {
				Phase                      string
				Count, OK, Failed, Skipped int
				Errors                     []struct{ Kind string }
			}
		}
	}
	if err := json.Unmarshal(runCLI(t, tb, closed, "run", "--count", "3", "--format", "json"), &rep); err != nil {
		t.Fatal(err)
	}
	client, err := preconnect.New(testbedConfig(tb))
	if err != nil {
		t.Fatal(err)
	}
	targets := cliTargets(t, tb, closed)
	for i, tg := range rep.Targets {
		var results []preconnect.Result
		for range 3 {
			results = append(results, client.All(context.Background(), targets[i:i+1], preconnect.Options{})...)
		}
		st := preconnect.Stats(results)
		if tg.Name != targets[i].Name || st.Count != tg.Probes || st.OK != tg.OK || len(st.Phases) != len(tg.Phases) {
			t.Errorf("%s: library %d/%d ok over %d phases, CLI %s %d/%d over %d", targets[i].Name, st.OK, st.Count, len(st.Phases), tg.Name, tg.OK, tg.Probes, len(tg.Phases))
			continue
		}
		for j, p := range tg.Phases {
			lp := st.Phases[j]
			var cliKinds, libKinds []string
			for _, e := range p.Errors {
				cliKinds = append(cliKinds, e.Kind)
			}
			for _, e := range st.Errors {
				if e.Phase == lp.Name {
					libKinds = append(libKinds, string(e.Kind))
				}
			}
			got := fmt.Sprintf("%s %d/%d/%d/%d %v", lp.Name, lp.Count, lp.OK, lp.Failed, lp.Skipped, libKinds)
			want := fmt.Sprintf("%s %d/%d/%d/%d %v", p.Phase, p.Count, p.OK, p.Failed, p.Skipped, cliKinds)
			if got != want {
				t.Errorf("%s: library %s, CLI %s", tg.Name, got, want)
			}
		}
	}
}
