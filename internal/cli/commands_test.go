//go:build linux

package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "validate", example(t, "testbed.hcl"))
	if r.code != 0 || !strings.Contains(r.stdout, "valid: 3 targets, 4 plugins") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	writeFile(t, bad, "plugin \"tls\" {\n  config {\n    min_version = \"1.9\"\n  }\n}\ntarget \"x\" {\n  host = \"127.0.0.1\"\n}\n")
	r = runProbe(t, nil, "validate", bad)
	if r.code != 2 || !strings.Contains(r.stderr, "bad.hcl:3:19: error: Invalid plugin config") {
		t.Errorf("exit %d\nstderr %s", r.code, r.stderr)
	}
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	messy := filepath.Join(dir, "messy.hcl")
	tidy := filepath.Join(dir, "tidy.hcl")
	writeFile(t, messy, "target \"a\" {\nhost=\"a.test\"\n  protocol    = \"http\"\n}\n")
	writeFile(t, tidy, "target \"a\" {\n  host     = \"a.test\"\n  protocol = \"http\"\n}\n")

	r := runProbe(t, nil, "fmt", "-check", messy, tidy) // single dash, as in gofmt/terraform
	if r.code != 1 || strings.TrimSpace(r.stdout) != messy {
		t.Errorf("--check: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(messy); !strings.Contains(string(b), "host=\"a.test\"") {
		t.Errorf("--check changed the file:\n%s", b)
	}
	r = runProbe(t, nil, "fmt", messy)
	b, _ := os.ReadFile(messy)
	want, _ := os.ReadFile(tidy)
	if r.code != 0 || string(b) != string(want) {
		t.Errorf("fmt: exit %d, file now:\n%s", r.code, b)
	}
	writeFile(t, messy, "target \"a\" {\n  host = \n")
	r = runProbe(t, nil, "fmt", messy)
	if r.code != 2 || !strings.Contains(r.stderr, "messy.hcl:2:") {
		t.Errorf("unparsable: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestPluginsListsVersionsAndPaths(t *testing.T) {
	// Nothing is probed; the dns servers are set so that configuring the
	// plugin does not depend on this machine's /etc/resolv.conf.
	file := filepath.Join(t.TempDir(), "all.hcl")
	writeFile(t, file, `plugin "dns" {
  config {
    servers = ["127.0.0.1:1"]
  }
}
target "a" {
  host     = "a.probe.test"
  protocol = "http"
}
target "b" {
  host     = "b.probe.test"
  protocol = "https"
}
`)
	r := runProbe(t, nil, "plugins", file, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	var doc struct {
		Plugins []struct {
			Phase, Name, Version, Source string
			Config                       []struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var phases []string
	for _, p := range doc.Plugins {
		phases = append(phases, p.Phase)
		if p.Version == "" || !strings.HasPrefix(p.Source, "built-in") || len(p.Config) == 0 {
			t.Errorf("plugin %+v", p)
		}
	}
	if strings.Join(phases, ",") != "dns,tcp,http,tls" {
		t.Errorf("phases = %v", phases)
	}
}

func TestTargetSelectionAndPreconnectHosts(t *testing.T) {
	tb := startTestbed(t)
	// --target twice names the target once; --timeout in milliseconds.
	r := runProbe(t, tb, "run", example(t, "testbed.hcl"), "--target", "raw", "--target", "raw", "--timeout", "2000", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if rep := decode(t, r); len(rep.Targets) != 1 || rep.Targets[0].Name != "raw" {
		t.Errorf("targets = %+v", rep.Targets)
	}
	// PRECONNECT_HOSTS adds to the file's targets.
	_, port, _ := strings.Cut(tb.HTTPAddr, ":")
	cmd, stdout, stderr := probeCmd(t, tb, t.TempDir(), "run", example(t, "testbed.hcl"), "--format", "json")
	cmd.Env = append(cmd.Env, "PRECONNECT_HOSTS=127.0.0.1:"+port+":http, [::1]:1:tcp")
	cmd.Run()
	checkContract(t, cmd.Args[1:], stdout.String())
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if len(rep.Targets) != 5 || rep.Targets[3].Name != "127.0.0.1:"+port+":http" || rep.Targets[3].OK != rep.Targets[3].Probes {
		t.Errorf("targets = %+v", rep.Targets)
	}
	if cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("exit %d; the refused [::1]:1 target should fail the run", cmd.ProcessState.ExitCode())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"run", "--target", "nope"}, "", `--target "nope": no such target (have: headscale-api, metrics, headplane-ui, api-proxy, production-api, tailscale-headscale)`},
		{[]string{"run", "--format", "xml", "x.hcl"}, "", `invalid argument "xml" for "--format" flag: want table, json, ndjson or openmetrics`},
		{[]string{"plugins", "--format", "ndjson", "x.hcl"}, "", `invalid argument "ndjson" for "--format" flag: want table or json`},
		{[]string{"run", "--count", "0", "--target", "metrics"}, "", "--count must be at least 1"},
		{[]string{"run", "--timeout", "-1s", "--target", "metrics"}, "", "--timeout must be greater than zero"},
		{[]string{"run", "--target", "metrics"}, "web:80", `PRECONNECT_HOSTS entry 1 "web:80": want host:port:proto`},
		{[]string{"run", "a.hcl", "b.hcl"}, "", "accepts at most 1 arg(s), received 2"},
		{[]string{"frobnicate"}, "", `unknown command "frobnicate"`},
		{[]string{"run", "--frobnicate", "x.hcl"}, "", "unknown flag: --frobnicate\nRun 'probe run --help' for usage."},
		{[]string{"run", "--var", "novalue", "x.hcl"}, "", `--var "novalue": want NAME=VALUE`},
		{[]string{"run", "--interval", "soon", "x.hcl"}, "", `invalid argument "soon" for "--interval" flag: want milliseconds (2000) or a duration (2s), not "soon"`},
	} {
		cmd, _, stderr := probeCmd(t, nil, t.TempDir(), c.args...)
		cmd.Env = append(cmd.Env, "PRECONNECT_HOSTS="+c.env)
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("probe %v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, name := range []string{"run", "preconnect", "warmup", "status", "test", "validate", "fmt", "plugins", "version"} {
		r := runProbe(t, nil, name, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s", name, r.code, r.stdout)
		}
		if name != "version" && !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%s --help has no examples", name)
		}
	}
}

func TestVerbosityShowsPluginLogsAndQuietRunsAreQuiet(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "run", example(t, "testbed.hcl"), "--count", "3")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("a quiet run through a pipe should print nothing on stderr (no progress bar): exit %d\n%s", r.code, r.stderr)
	}
	r = runProbe(t, tb, "-v", "run", example(t, "testbed.hcl"), "--target", "secure")
	for _, want := range []string{"[DEBUG] probe.dns", "phase done", "@module=tls", "starting plugin", "plugin started"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("-v output lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "received EOF, stopping recv loop") {
		t.Errorf("-v shows go-plugin's connection plumbing:\n%s", r.stderr)
	}
	cmd, _, stderr := probeCmd(t, tb, t.TempDir(), "run", example(t, "testbed.hcl"), "--target", "web")
	cmd.Env = append(cmd.Env, "PROBE_LOG=debug")
	cmd.Run()
	if !strings.Contains(stderr.String(), "@module=http") {
		t.Errorf("PROBE_LOG=debug should show plugin logs:\n%s", stderr)
	}
}

func TestRunWarnsLoudlyWhenVerificationIsSkipped(t *testing.T) {
	tb := startTestbed(t)
	file := filepath.Join(t.TempDir(), "insecure.hcl")
	writeFile(t, file, `
variable "dns_server" {}
variable "https_port" {}
plugin "dns" {
  config {
    servers = [var.dns_server]
  }
}
plugin "tls" {
  config {
    insecure_skip_verify = true
  }
}
target "secure" {
  host     = "secure.probe.test"
  port     = var.https_port
  protocol = "https"
}
`)
	r := runProbe(t, tb, "run", file)
	if r.code != 0 || !strings.Contains(r.stdout, "WARNING: TLS CERTIFICATES NOT VERIFIED (insecure_skip_verify) for: secure") {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}
