package pluginhost

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/internal/syncbuf"
)

// TestUnlimitedRestartsKeepNoHistory: a serve that replaces a crashing
// plugin forever keeps a count, not a list of every replacement, so its
// memory does not grow with the restarts; a one-shot run keeps the
// replacements within its window, and its budget is spent at MaxRestarts.
func TestUnlimitedRestartsKeepNoHistory(t *testing.T) {
	forever := &Plugin{host: &Host{opts: Options{Unlimited: true, MaxRestarts: 3, RestartWindow: time.Hour}}}
	for range 10000 {
		forever.noteReplacement()
	}
	if n := forever.Restarts(); n != 10000 {
		t.Errorf("Restarts() = %d after 10000 replacements", n)
	}
	if len(forever.recent) != 0 {
		t.Errorf("unlimited: %d replacement times kept, want none", len(forever.recent))
	}

	limited := &Plugin{host: &Host{opts: Options{MaxRestarts: 3, RestartWindow: time.Hour}}}
	for i := range 3 {
		if limited.budgetSpent() {
			t.Fatalf("budget spent after %d replacements, want after 3", i)
		}
		limited.noteReplacement()
	}
	if !limited.budgetSpent() {
		t.Error("budget not spent after 3 replacements within the window")
	}
}

// TestQuietExits: go-plugin's info entry for a clean exit becomes debug;
// its other entries keep their levels.
func TestQuietExits(t *testing.T) {
	var logs syncbuf.Buffer
	q := quietExits{hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: &logs})}
	q.Info("plugin process exited", "id", 1)
	q.Info("starting plugin", "id", 2)
	q.Error("plugin process exited", "id", 3)
	want := []string{"[DEBUG] plugin process exited: id=1", "[INFO]  starting plugin: id=2", "[ERROR] plugin process exited: id=3"}
	for _, w := range want {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, logs.String())
		}
	}
}
