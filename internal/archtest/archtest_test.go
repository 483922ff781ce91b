// Package archtest checks that imports follow the data flow
// config → plan → run → samples → stats → output, and that the layers that
// must stay light (plan, stats, output) and portable (the runner's core,
// used by package preconnect) do not pull in the plugin machinery.
// It also keeps the test helpers (internal/syncbuf, proctest, loopback) out
// of everything but tests and the test beds.
package archtest

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/probe-net/probe/"

// deps lists the packages pkg depends on (transitively) for goos.
func deps(t *testing.T, goos, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s (GOOS=%s): %v", pkg, goos, err)
	}
	return strings.Fields(string(out))
}

// imports lists the packages pkg imports directly.
func imports(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var p struct{ Imports []string }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p.Imports
}

var plumbing = []string{"google.golang.org/grpc", "github.com/hashicorp/go-plugin"}

func TestLightLayersDoNotCompilePluginPlumbing(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	for _, pkg := range []string{"core/plan", "core/stats", "core/output", "core/sample"} {
		for _, d := range deps(t, "linux", pkg) {
			if slices.Contains(plumbing, d) {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
	// The runner and package preconnect (which runs the phases in its
	// caller's process) are portable and plugin-free on every system; plugin
	// processes live in core/session.
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, pkg := range []string{"core/runner", "preconnect"} {
			for _, d := range deps(t, goos, pkg) {
				if slices.Contains(plumbing, d) {
					t.Errorf("%s (GOOS=%s) depends on %s", pkg, goos, d)
				}
			}
		}
	}
}

func TestImportsFollowTheDataFlow(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	forbidden := map[string][]string{
		"core/runner":     {"github.com/hashicorp/hcl/v2", module + "core/config", module + "core/stats", module + "core/output", module + "core/pluginhost", module + "core/session"},
		"core/plan":       {module + "core/runner", module + "core/pluginhost"},
		"core/stats":      {module + "core/runner", module + "core/output"},
		"core/output":     {module + "core/runner", module + "core/pluginhost"},
		"core/pluginhost": {module + "core/runner", module + "sdk/server"},
		"core/config":     {module + "core/plan", module + "core/runner"},
		// probe serve's layers: samples flow into the surfacer; neither it,
		// the scheduler nor the HTTP exporter knows the runner or plugins.
		"core/surfacer":  {module + "core/runner", module + "core/pluginhost", module + "core/scheduler", module + "core/exporter"},
		"core/scheduler": {module + "core/runner", module + "core/pluginhost", module + "core/surfacer", module + "core/exporter"},
		"core/exporter":  {module + "core/runner", module + "core/pluginhost", module + "core/surfacer", module + "core/scheduler"},
	}
	for pkg, bad := range forbidden {
		for _, imp := range imports(t, pkg) {
			if slices.Contains(bad, imp) {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

func TestRunnerAPIHasNoWireTypes(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "doc", "-all", module+"core/runner").Output()
	if err != nil {
		t.Fatalf("go doc: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "wire.") {
			t.Errorf("runner's API mentions a wire type: %s", strings.TrimSpace(line))
		}
	}
}

// testOnly are the packages only tests may import, with the packages that
// are test infrastructure themselves and may import them too.
var testOnly = map[string][]string{
	module + "internal/syncbuf":  nil,
	module + "internal/proctest": nil,
	module + "internal/loopback": {module + "examples/testbed", module + "internal/soak"},
}

func TestTestHelpersStayInTests(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if allowed, ok := testOnly[imp]; ok && !slices.Contains(allowed, fields[0]) {
				t.Errorf("%s imports %s, which is for tests only", fields[0], imp)
			}
		}
	}
}
