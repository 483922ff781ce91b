//go:build linux

package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestServeNeedsAFile: without FILE, serve stops at its arguments, before
// anything runs (a daemon never probes the built-in demo list). Checked on
// the command's own Args, so that no test ever runs serve without a file.
func TestServeNeedsAFile(t *testing.T) {
	cmd := newServeCmd(&globals{})
	err := cmd.Args(cmd, nil)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitUsage || !strings.Contains(err.Error(), "needs a targets file") {
		t.Errorf("serve without FILE: %v; want a usage error saying it needs a file", err)
	}
	if err := cmd.Args(cmd, []string{"probe.hcl"}); err != nil {
		t.Errorf("serve FILE: %v", err)
	}
}

// TestServeLoggerFormats: logfmt and JSON with Prometheus' keys (time,
// level, msg); hclog's named loggers (plugins, the plugin host) and slog's
// (exporter-toolkit) write the same entries; control characters never
// reach the terminal; trace is below the lowest level.
func TestServeLoggerFormats(t *testing.T) {
	var buf bytes.Buffer
	log, err := serveLogger("debug", "logfmt", &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Named("dns").With("pid", 42).Warn("answer for \x1b]0;PWNED\x07\nprobe: all good", "name", "evil\u202e", "took", 1500*time.Millisecond)
	log.Trace("too fine")
	log.Named("web").(*slogLogger).Slog().Info("Listening on", "address", "127.0.0.1:9716")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (trace dropped):\n%s", buf.String())
	}
	re := regexp.MustCompile(`^time=\S+ level=WARN msg="answer for \\x1b\]0;PWNED\\a\\nprobe: all good" component=dns pid=42 name="evil\\u202e" took=1.5s$`)
	if !re.MatchString(lines[0]) {
		t.Errorf("hclog entry in logfmt:\n%s", lines[0])
	}
	if want := ` level=INFO msg="Listening on" component=web address=127.0.0.1:9716`; !strings.HasSuffix(lines[1], want) {
		t.Errorf("slog entry in logfmt:\n%s\nwant suffix %s", lines[1], want)
	}

	buf.Reset()
	log, err = serveLogger("warn", "json", &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("below the level")
	log.Named("tcp").Error("restart", "err", errors.New("exit status 2"))
	var entry map[string]any
	if err := json.Unmarshal(buf.Bytes(), &entry); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, buf.String())
	}
	for k, want := range map[string]any{"level": "ERROR", "msg": "restart", "component": "tcp", "err": "exit status 2"} {
		if entry[k] != want {
			t.Errorf("JSON %s = %v, want %v (%s)", k, entry[k], want, buf.String())
		}
	}
	if _, ok := entry["time"]; !ok {
		t.Errorf("JSON entry without time: %s", buf.String())
	}
	if log.GetLevel() != hclog.Warn || log.IsInfo() || !log.IsWarn() {
		t.Errorf("level warn: GetLevel %v, IsInfo %v, IsWarn %v", log.GetLevel(), log.IsInfo(), log.IsWarn())
	}
}
