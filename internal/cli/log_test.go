//go:build linux

package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/probe-net/probe/internal/safetext"
)

// A plugin's log line re-emitted through the text logger stays one line
// of printable text, whatever the plugin put in its message and values.
func TestLoggerEscapesPluginLines(t *testing.T) {
	var buf bytes.Buffer
	g := &globals{stderr: safetext.NewWriter(&buf), rawStderr: &buf}
	t.Setenv(envLog, "debug")
	t.Setenv(envLogFormat, "")
	log := g.logger().Named("dns\x1b]0;T\x07")
	log.Warn("answer for \x1b]0;PWNED\x07\nprobe: all good", "name", "\x1b[2Jevil\u202e", "error", errors.New("bad\x1b[31m"), "n", 3)
	log.With("host", "h\x07").Error("x")
	out := buf.String()
	if strings.Count(out, "\n") != 2 {
		t.Errorf("want 2 lines:\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Errorf("raw control characters:\n%q", out)
	}
	for _, want := range []string{`answer for \u001b]0;PWNED\u0007\nprobe: all good`, `\u001b[2Jevil\u202e`, "n=3", `h\u0007`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
