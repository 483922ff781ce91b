package benchsuite

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/internal/cli"
)

// The test binary plays every part the suite needs: the server process
// (EnvServe), and the probe binary (envProbe): its plugins and its CLI.
const envProbe = "PROBE_BENCH_TEST_AS_PROBE"

func TestMain(m *testing.M) {
	ServeMain()
	// As probe: run by the wrapper, or re-executed as a built-in plugin
	// (with the minimal environment probe gives its plugins).
	if os.Getenv(envProbe) != "" || (len(os.Args) > 1 && os.Args[1] == pluginhost.BuiltinArg) {
		os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestSmoke runs the whole suite at the smoke size (what CI runs): every
// variant probes successfully and every section reports. The recorded
// sizes run with PROBE_BENCH_FULL=1 (or `make bench`).
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts plugin processes and servers")
	}
	probe := probeWrapper(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var report, raw bytes.Buffer
	o := Options{Probe: probe, Full: os.Getenv("PROBE_BENCH_FULL") != "", Reps: 1, Report: &report, Raw: &raw}
	if err := Run(ctx, o); err != nil {
		t.Fatalf("suite: %v\n%s", err, report.String())
	}
	out := report.String()
	t.Log("\n" + out)
	for _, want := range []string{"THROUGHPUT", "in-process/names", "probe/names", "probe/IP", "RATIOS", "PHASES at c=1", "SCALE", "COLD START"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out, "probes failed") || strings.Contains(out, "first failure") {
		t.Errorf("some probes failed:\n%s", out)
	}
	if FindBlackbox() == "" && !strings.Contains(out, "blackbox_exporter is not installed") {
		t.Error("the report does not say that blackbox_exporter is missing")
	}
	if FindBlackbox() != "" && !strings.Contains(out, "blackbox/IP") {
		t.Error("blackbox_exporter is installed but was not compared")
	}
	if !strings.Contains(raw.String(), "BenchmarkThroughput/c=64/probe/names") {
		t.Errorf("raw output lacks the benchmark lines:\n%s", raw.String())
	}
}

// probeWrapper returns an executable that runs this test binary as probe.
func probeWrapper(t *testing.T) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "probe")
	script := "#!/bin/sh\n" + envProbe + "=1 exec " + shellQuote(self) + " \"$@\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	return path
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
