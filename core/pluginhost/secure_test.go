//go:build linux

package pluginhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/core/pluginhost"
)

// Issue 8, case 10: plugins get a minimal environment plus what their
// plugin block gives them, never probe's secrets.
func TestPluginEnvironmentIsMinimal(t *testing.T) {
	const canary = "canary-5f0c1e7a"
	t.Setenv("AWS_SECRET_ACCESS_KEY", canary)
	t.Setenv("PASSED_ON", "passed-value")
	t.Setenv("NOT_PASSED", "other-value")
	t.Setenv("LC_TIME", "C")
	h := newHost(t, options(t))
	p := startOne(t, h, pluginhost.Spec{Name: "quick",
		Env: map[string]string{"GIVEN": "given value"}, PassEnv: []string{"PASSED_ON", "UNSET_NAME"}})
	env := environ(t, p.PID())
	if strings.Contains(strings.Join(env, "\n"), canary) {
		t.Errorf("the canary secret reached the plugin: %q", env)
	}
	has := map[string]bool{}
	names := map[string]bool{}
	for _, kv := range env {
		has[kv] = true
		names[strings.SplitN(kv, "=", 2)[0]] = true
	}
	for _, want := range []string{"GIVEN=given value", "PASSED_ON=passed-value", "PATH=" + os.Getenv("PATH"),
		"LC_TIME=C", "PROBE_TEST_PHASE=quick"} {
		if !has[want] {
			t.Errorf("plugin environment lacks %q: %q", want, env)
		}
	}
	for _, name := range []string{"NOT_PASSED", "UNSET_NAME", "AWS_SECRET_ACCESS_KEY"} {
		if names[name] {
			t.Errorf("plugin environment has %s: %q", name, env)
		}
	}
	for _, name := range []string{"PROBE_PHASE_PLUGIN", "PLUGIN_UNIX_SOCKET_DIR", "PROBE_FD_CHANNEL"} {
		if !names[name] {
			t.Errorf("plugin environment lacks the protocol variable %s: %q", name, env)
		}
	}
}

func environ(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// execScript is an external plugin: a script that execs this test binary.
func execScript(t *testing.T) string {
	return script(t, fmt.Sprintf("PROBE_TEST_PHASE=quick exec %s\n", os.Args[0]))
}

func digest(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Issue 8, case 11: a pinned binary starts only when its digest matches.
func TestPinnedPluginStartsOnlyWithItsDigest(t *testing.T) {
	path := execScript(t)
	actual := digest(t, path)
	wrong := strings.Repeat("ab", 32)
	h := newHost(t, options(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := h.Start(ctx, []pluginhost.Spec{{Name: "pinned", Path: path, SHA256: wrong}})
	if err == nil {
		t.Fatal("a plugin whose digest does not match its pin started")
	}
	for _, want := range []string{path, actual, wrong} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	p := startOne(t, h, pluginhost.Spec{Name: "pinned-right", Path: path, SHA256: strings.ToUpper(actual)})
	if _, err := runBounded(t, p, time.Second); err != nil {
		t.Errorf("the correctly pinned plugin does not answer: %v", err)
	}
}
