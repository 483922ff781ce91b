//go:build linux

package cli_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/internal/loopback"
)

// noRawControl fails when out holds a control character other than a
// newline, or an escape sequence other than a colour (SGR).
func noRawControl(t *testing.T, what, out string) {
	t.Helper()
	for i, r := range out {
		switch {
		case r == '\n':
		case r == 0x1b && strings.HasPrefix(out[i:], "\x1b[") && sgrAt(out[i:]):
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x202e:
			t.Errorf("%s: raw %U at byte %d:\n%q", what, r, i, out)
			return
		}
	}
}

func sgrAt(s string) bool {
	end := strings.IndexByte(s, 'm')
	return end > 1 && strings.Trim(s[2:end], "0123456789;") == ""
}

// An OSC sequence (it retitles a terminal) in a host name never reaches
// stderr raw, whether the file holds the bytes or HCL escapes for them, or
// the host comes from PRECONNECT_HOSTS.
func TestOSCInHostNeverReachesStderr(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.hcl")
	writeFile(t, raw, "target \"a\" {\n  host = \"\x1b]0;PWNED\x07.test\"\n}\ntarget \"b\" {\n  host = \"\x1b]0;PWNED\x07 x\"\n}\n")
	escaped := filepath.Join(dir, "escaped.hcl")
	writeFile(t, escaped, "target \"a\" {\n  host = \"\\u001b]0;PWNED\\u0007.test\"\n}\n")
	for _, file := range []string{raw, escaped} {
		r := runProbe(t, nil, "validate", file)
		if r.code != 2 || !strings.Contains(r.stderr, "Invalid host") {
			t.Errorf("%s: exit %d\n%s", file, r.code, r.stderr)
		}
		noRawControl(t, file, r.stderr)
	}
	cmd, _, stderr := probeCmd(t, nil, t.TempDir(), "validate", escaped)
	cmd.Env = append(cmd.Env, "PRECONNECT_HOSTS=\x1b]0;PWNED\x07.test:80:http")
	cmd.Run()
	noRawControl(t, "PRECONNECT_HOSTS", stderr.String())
}

// 4 KB of random bytes as a targets file print a bounded number of lines.
func TestGarbageTargetsFilePrintsAScreenful(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := make([]byte, 4096)
	for i := range src {
		src[i] = byte(rng.UintN(256))
	}
	file := filepath.Join(t.TempDir(), "garbage.hcl")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runProbe(t, nil, "validate", file)
	lines := strings.Count(r.stderr, "\n")
	if r.code != 2 || lines > 70 || len(r.stderr) > 20000 || !strings.Contains(r.stderr, "more errors") {
		t.Errorf("exit %d, %d lines, %d bytes:\n%s", r.code, lines, len(r.stderr), r.stderr)
	}
	noRawControl(t, "garbage", r.stderr)
}

// validate starts every plugin block, used or not: a path that does not
// exist and an unknown config attribute are both reported.
func TestValidateChecksUnusedPlugins(t *testing.T) {
	file := filepath.Join(t.TempDir(), "unused.hcl")
	writeFile(t, file, `plugin "extra" {
  path = "./no-such-plugin"
}
plugin "spare" {
  builtin = "http"
  config {
    no_such_attribute = 1
  }
}
target "a" {
  host     = "127.0.0.1"
  port     = 1
  protocol = "tcp"
}
`)
	r := runProbe(t, nil, "validate", file)
	for _, want := range []string{
		`unused.hcl:2:10: error: Invalid plugin path: plugin "extra": "` + filepath.Join(filepath.Dir(file), "no-such-plugin") + `" does not exist`,
		`unused.hcl:7:5: error: Unsupported argument: An argument named "no_such_attribute" is not expected here`,
	} {
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
		}
	}
}

// validate - reads the file from standard input.
func TestValidateReadsStdin(t *testing.T) {
	cmd, stdout, stderr := probeCmd(t, nil, t.TempDir(), "validate", "-")
	cmd.Stdin = strings.NewReader("target \"a\" {\n  host     = \"127.0.0.1\"\n  port     = 80.5\n  protocol = \"tcp\"\n}\n")
	cmd.Run()
	want := "<stdin>:3:14: error: Invalid port: port = 80.5 is not a whole number; write one from 1 to 65535\n"
	if cmd.ProcessState.ExitCode() != 2 || !strings.HasPrefix(stderr.String(), want) || strings.Contains(stderr.String(), "Missing port") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", cmd.ProcessState.ExitCode(), stdout, stderr)
	}
	cmd, stdout, stderr = probeCmd(t, nil, t.TempDir(), "validate", "-")
	cmd.Stdin = strings.NewReader("target \"a\" {\n  host     = \"127.0.0.1\"\n  port     = 1\n  protocol = \"tcp\"\n}\n")
	if err := cmd.Run(); err != nil || !strings.HasPrefix(stdout.String(), "<stdin>: valid: 1 target") {
		t.Errorf("%v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
}

// A dns hosts_file is found next to the targets file, from any working
// directory, as a plugin's path is.
func TestPathAttributesResolveAgainstTheFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "conf")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "hosts"), "127.0.0.1 a.probe.test\n")
	file := filepath.Join(dir, "t.hcl")
	writeFile(t, file, `plugin "dns" {
  config {
    servers    = ["127.0.0.1:1"]
    hosts_file = "hosts"
  }
}
target "a" {
  host     = "a.probe.test"
  port     = 1
  protocol = "tcp"
}
`)
	cmd, stdout, stderr := probeCmd(t, nil, t.TempDir(), "validate", file)
	cmd.Dir = t.TempDir()
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "valid: 1 target") {
		t.Errorf("%v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
}

// fmt tries every file and reports every failure.
func TestFmtFormatsEveryFileAndReportsEveryFailure(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "a.hcl")
	messy := filepath.Join(dir, "b.hcl")
	writeFile(t, broken, "target \"a\" {\n  host = \n")
	writeFile(t, messy, "target \"b\" {\nhost=\"b.test\"\n}\n")
	r := runProbe(t, nil, "fmt", broken, filepath.Join(dir, "missing.hcl"), messy)
	got, _ := os.ReadFile(messy)
	if string(got) != "target \"b\" {\n  host = \"b.test\"\n}\n" {
		t.Errorf("b.hcl was not formatted:\n%s", got)
	}
	for _, want := range []string{"a.hcl:2:", "missing.hcl: no such file", "2 files of 3 could not be formatted"} {
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
		}
	}
	if strings.TrimSpace(r.stdout) != messy {
		t.Errorf("stdout %q", r.stdout)
	}
}

func TestInputErrorsSayWhatIsWrong(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.hcl")
	writeFile(t, file, "target \"a\" {\n  host     = \"127.0.0.1\"\n  port     = 1\n  protocol = \"tcp\"\n}\n")
	for _, c := range []struct {
		args      []string
		env, want string
	}{
		{[]string{"run", file}, "a.test:80:HTTP", `PRECONNECT_HOSTS entry 1 "a.test:80:HTTP": protocol "HTTP": protocols are written in lower case: "http"`},
		{[]string{"run", file}, "a.test:80:http,,b.test:1:tcp", `PRECONNECT_HOSTS entry 2 is empty: remove the extra comma`},
		{[]string{"run", file}, "host:1:https:extra", `PRECONNECT_HOSTS entry 1 "host:1:https:extra": want host:port:proto, but it has 4 fields; "extra" after the protocol is one too many`},
		{[]string{"run", file, "--count", "99999999999999999999"}, "", `invalid argument "99999999999999999999" for "--count" flag: "99999999999999999999" is too large: want a whole number up to 2147483647`},
		{[]string{"run", file, "--concurrency", "lots"}, "", `invalid argument "lots" for "--concurrency" flag: want a whole number, not "lots"`},
		{[]string{"warmup", file, "true", "--sequential"}, "", `warmup: the last argument "true" and --sequential=true disagree; give one of them`},
		{[]string{"warmup", file, "x.hcl"}, "", `warmup takes [FILE] [true|false]`},
	} {
		cmd, _, stderr := probeCmd(t, nil, t.TempDir(), c.args...)
		cmd.Env = append(cmd.Env, "PRECONNECT_HOSTS="+c.env)
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(stderr.String(), c.want) || strings.Contains(stderr.String(), "strconv") {
			t.Errorf("probe %v (PRECONNECT_HOSTS=%q): exit %d, stderr %q; want 2 and %q", c.args, c.env, code, stderr, c.want)
		}
	}
}

func TestVersionFlagMatchesVersionCommand(t *testing.T) {
	a, b := runProbe(t, nil, "version"), runProbe(t, nil, "--version")
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout || !strings.Contains(a.stdout, "plugin protocol") {
		t.Errorf("version %d %q, --version %d %q", a.code, a.stdout, b.code, b.stdout)
	}
}

func TestLogSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.hcl")
	writeFile(t, file, "target \"a\" {\n  host     = \"127.0.0.1\"\n  port     = 1\n  protocol = \"tcp\"\n}\n")
	cmd, _, stderr := probeCmd(t, nil, t.TempDir(), "validate", file)
	cmd.Env = append(cmd.Env, "PROBE_LOG=verbose")
	if err := cmd.Run(); err != nil || !strings.Contains(stderr.String(), `probe: PROBE_LOG="verbose" is not a log level (trace, debug, info, warn, error, off); using warn`) {
		t.Errorf("%v: %s", err, stderr)
	}
	cmd, _, stderr = probeCmd(t, nil, t.TempDir(), "validate", file, "-v")
	cmd.Env = append(cmd.Env, "PROBE_LOG_FORMAT=json")
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry["@level"] == nil {
			t.Errorf("not a JSON log entry: %q", line)
		}
	}
	if len(lines) < 2 {
		t.Errorf("-v logged %d lines", len(lines))
	}
}

func TestShellCompletion(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.hcl")
	// The variable has no value: completion does not evaluate the file.
	writeFile(t, file, "variable \"h\" {}\ntarget \"alpha\" {\n  host = var.h\n}\ntarget \"beta\" {\n  host = var.h\n}\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", file, "--target", ""}, "alpha\nbeta\n:4\n"},
		{[]string{"status", file, "--target", "b"}, "beta\n:4\n"},
		{[]string{"run", "--format", ""}, "table\njson\nndjson\nopenmetrics\n:4\n"},
		{[]string{"test", "h", "443", "--format", ""}, "table\njson\nndjson\n:4\n"},
		{[]string{"validate", ""}, "hcl\njson\n:8\n"},
		{[]string{"test", "h", "443", ""}, "tcp\ntls\nhttp\nhttps\n:4\n"},
		{[]string{"warmup", file, ""}, "true\nfalse\n:4\n"},
	} {
		r := runProbe(t, nil, append([]string{"__complete"}, c.args...)...)
		if r.code != 0 || r.stdout != c.want {
			t.Errorf("complete %q: exit %d, %q, want %q", c.args, r.code, r.stdout, c.want)
		}
	}
	r := runProbe(t, nil, "completion", "bash")
	if r.code != 0 || !bytes.Contains([]byte(r.stdout), []byte("__start_probe")) {
		t.Errorf("completion bash: exit %d, %.200s", r.code, r.stdout)
	}
}

// A server's header values (Go's parser already refuses C0 controls in
// them, not a bidi override or a C1 CSI) and status text are shown escaped in probe
// test's details, and kept exact in its JSON.
func TestHostileServerTextIsEscaped(t *testing.T) {
	port := strconv.Itoa(loopback.ServeTest(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("HTTP/1.1 503 Gone\x1b]0;PWNED\x07\r\nServer: evil\u202e\u009b2J\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	}).Port())
	r := runProbe(t, nil, "test", "127.0.0.1", port, "http")
	if r.code != 1 || !strings.Contains(r.stdout, `evil\u202e\u009b2J`) || !strings.Contains(r.stdout, `Gone\u001b]0;PWNED\u0007`) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	noRawControl(t, "stdout", r.stdout)
	noRawControl(t, "stderr", r.stderr)
	r = runProbe(t, nil, "test", "127.0.0.1", port, "http", "--format", "json")
	var doc struct {
		Phases []struct {
			Attributes map[string]any `json:"attributes"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	found := false
	for _, p := range doc.Phases {
		found = found || p.Attributes["http.server"] == "evil\u202e\u009b2J"
	}
	if !found {
		t.Errorf("JSON does not keep the header exact: %s", r.stdout)
	}
}
