package config

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/probe-net/probe/plugins/registry"
)

// FuzzLoad feeds the loader arbitrary targets files, in both syntaxes.
// Whatever comes in: no panic; a File exactly when there is no error, and
// then every target is probeable (a valid host, port and protocol and a
// chain of known phases); the rendered diagnostics are bounded and hold no
// raw control character; formatting does not panic.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*.hcl", "testdata/*.json", "testdata/bad/*"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			src, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, strings.HasSuffix(name, ".json"))
		}
	}
	f.Add([]byte("target \"a\" {\n  host = \"\x1b]0;T\x07\"\n  port = 80.5\n}\n"), false)
	f.Fuzz(func(t *testing.T, src []byte, json bool) {
		name := "fuzz.hcl"
		if json {
			name = "fuzz.hcl.json"
		}
		l := NewLoader()
		file, diags := l.LoadSource(name, src, LoadOptions{Getenv: func(string) string { return "" }})
		if (file == nil) != diags.HasErrors() {
			t.Fatalf("file %v with diagnostics %s", file != nil, renderDiags(diags))
		}
		if file != nil {
			checkLoaded(t, file)
		}
		var buf bytes.Buffer
		if err := l.WriteDiagnostics(&buf, diags, false); err != nil {
			t.Fatal(err)
		}
		checkRendered(t, buf.String(), len(diags))
		if !json {
			Format(src)
		}
	})
}

func checkLoaded(t *testing.T, file *File) {
	t.Helper()
	known := registry.Names()
	for _, p := range file.Plugins {
		known = append(known, p.Name)
	}
	if file.Run.Count < 1 || file.Run.Concurrency < 1 || file.Run.Interval < 0 {
		t.Fatalf("run %+v", file.Run)
	}
	for _, tg := range file.Targets {
		switch {
		case !wireForm(tg.Host):
			t.Fatalf("target %q: host %q is not in wire form", tg.Name, tg.Host)
		case ProtocolProblem(tg.Protocol) != "":
			t.Fatalf("target %q: protocol %q", tg.Name, tg.Protocol)
		case tg.Port < 1 || tg.Port > 65535:
			t.Fatalf("target %q: port %d", tg.Name, tg.Port)
		case tg.Timeout <= 0 || len(tg.Phases) == 0:
			t.Fatalf("target %q: timeout %v, phases %q", tg.Name, tg.Timeout, tg.Phases)
		}
		for _, ph := range tg.Phases {
			if !slices.Contains(known, ph) {
				t.Fatalf("target %q: unknown phase %q", tg.Name, ph)
			}
		}
	}
}

// checkRendered holds rendered diagnostics to their bounds.
func checkRendered(t *testing.T, out string, n int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 3*MaxDiagnostics+1 {
		t.Fatalf("%d diagnostics rendered as %d lines", n, len(lines))
	}
	if !utf8.ValidString(out) {
		t.Fatalf("invalid UTF-8 in %q", out)
	}
	for _, line := range lines {
		if utf8.RuneCountInString(line) > 2*maxDetail+snippetWidth+100 {
			t.Fatalf("line of %d characters: %.200q", utf8.RuneCountInString(line), line)
		}
		if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }) {
			t.Fatalf("control character in %q", line)
		}
	}
}

// A format verb cannot make the loader allocate without bound.
func TestFormatWidthIsBounded(t *testing.T) {
	for src, ok := range map[string]bool{
		`format("%099999999s", "x")`: false,
		`format("%.999999999f", 1)`:  false,
		`format("%[2]s", "a", "b")`:  true,
		`format("%-20s|", "x")`:      true,
		`format("100%% %s", "x")`:    true,
	} {
		full := "target \"a\" {\n  host     = \"127.0.0.1\"\n  port     = 1\n  protocol = \"tcp\"\n  timeout  = \"1s\"\n  phases   = [\"tcp\"]\n}\nvariable \"v\" {\n  default = " + src + "\n}\n"
		_, diags := NewLoader().LoadSource("f.hcl", []byte(full), LoadOptions{})
		if diags.HasErrors() == ok {
			t.Errorf("%s: %s", src, renderDiags(diags))
		}
	}
}

// wireForm reports whether host is what WireHost makes of it: checked and
// already in the form that goes on the wire.
func wireForm(host string) bool {
	wire, err := WireHost(host)
	return err == nil && wire == host
}
