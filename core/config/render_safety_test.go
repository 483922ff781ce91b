package config

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// A host name holding an OSC sequence (which retitles a terminal) is
// rejected, and neither the message nor the source line shown under it
// carries the raw bytes.
func TestDiagnosticsEscapeTerminalSequences(t *testing.T) {
	src := "target \"web\" {\n  host = \"\x1b]0;TITLE\x07 x\"\n}\ntarget \"w2\" {\n  host = \"\x1b]0;TITLE\x07\"\n}\n"
	l := NewLoader()
	_, diags := l.LoadSource("osc.hcl", []byte(src), LoadOptions{})
	if len(diags) != 2 {
		t.Fatalf("want 2 diagnostics, got %q", renderDiags(diags))
	}
	var buf bytes.Buffer
	if err := l.WriteDiagnostics(&buf, diags, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(strings.ReplaceAll(out, "\x1b[1;31m", ""), "\x1b]") || strings.Contains(out, "\x07") {
		t.Errorf("raw escape sequence in the output:\n%q", out)
	}
	for _, want := range []string{
		`osc.hcl:2:10: ` + "\x1b[1;31merror\x1b[0m" + `: Invalid host: target "web": host must be a name or IP address; "\x1b]0;TITLE\a x" contains spaces`,
		`    2 |   host = "\u001b]0;TITLE\u0007 x"`,
		`      |          ^^^^^^^^^^^^^^^^^^^^^^^^` + "\n",
		`control characters or invalid UTF-8`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// 4 KB of random bytes as a targets file print a screenful, not hundreds of
// lines; every line is short and free of control characters.
func TestDiagnosticsOfGarbageAreBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for seed := range 20 {
		src := make([]byte, 4096)
		for i := range src {
			src[i] = byte(rng.UintN(256))
		}
		if seed%2 == 1 { // mostly printable garbage makes more diagnostics
			for i := range src {
				src[i] = " {}=\"\n#abc123[]$"[src[i]%16]
			}
		}
		l := NewLoader()
		_, diags := l.LoadSource("garbage.hcl", src, LoadOptions{Getenv: func(string) string { return "" }})
		var buf bytes.Buffer
		if err := l.WriteDiagnostics(&buf, diags, false); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		t.Logf("seed %d: %d diagnostics, %d lines", seed, len(diags), len(lines))
		if len(lines) > 3*MaxDiagnostics+1 {
			t.Errorf("seed %d: %d diagnostics printed as %d lines", seed, len(diags), len(lines))
		}
		if len(diags) > MaxDiagnostics && !strings.HasPrefix(lines[len(lines)-1], "and ") {
			t.Errorf("seed %d: last line %q does not count the rest", seed, lines[len(lines)-1])
		}
		for _, line := range lines {
			if len(line) > 2*maxDetail+200 {
				t.Errorf("seed %d: line of %d bytes", seed, len(line))
			}
			if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("seed %d: control character in %q", seed, line)
			}
		}
	}
}

// A 1 MB host name is not repeated whole: not in the message, not in the
// source line.
func TestLongValuesAreShortened(t *testing.T) {
	host := strings.Repeat("a", 1<<20) + "/path"
	src := "target \"web\" {\n  host = \"" + host + "\"\n}\n"
	l := NewLoader()
	_, diags := l.LoadSource("long.hcl", []byte(src), LoadOptions{})
	var buf bytes.Buffer
	if err := l.WriteDiagnostics(&buf, diags, false); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 4096 || !strings.Contains(buf.String(), "bytes left out") || !strings.Contains(buf.String(), "not a URL") {
		t.Errorf("%d bytes of diagnostics:\n%.2000s", buf.Len(), buf.String())
	}
}
