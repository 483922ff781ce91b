package safetext

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"www.probe.test", "www.probe.test"},
		{"bücher.example", "bücher.example"},
		{"日本語 ✓ 🙂", "日本語 ✓ 🙂"},
		{"\x1b]0;TITLE\a", `\u001b]0;TITLE\u0007`},
		{"\x1b[31mred\x1b[0m", `\u001b[31mred\u001b[0m`},
		{"a\nb\tc\rd", `a\nb\tc\rd`},
		{"del\x7f", `del\u007f`},
		{"c1 \u009b2J", `c1 \u009b2J`},             // one-rune CSI
		{"evil\u202etxt.exe", `evil\u202etxt.exe`}, // bidi override
		{"line\u2028sep", `line\u2028sep`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"cut \xe2\x82", `cut \xe2\x82`},
		{"tag \U000e0001", `tag \udb40\udc01`},
		{`back\slash "q"`, `back\slash "q"`},
		{"\ufffd", "\ufffd"}, // a real replacement character is printable
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEscapeLinesKeepsLinesAndTabs(t *testing.T) {
	got := EscapeLines("error:\n\thost \x1b]0;x\a\n")
	if want := "error:\n\thost \\u001b]0;x\\u0007\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The \u escapes are JSON's: JSON through a Writer decodes to the same value.
func TestWriterKeepsJSONExact(t *testing.T) {
	in := map[string]string{"v": "\x1b]0;T\a \u009b \x7f \u202e \U000e0001 ok ü \\u0041"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := NewWriter(&buf).Write(raw); err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if out["v"] != in["v"] {
		t.Errorf("got %q, want %q", out["v"], in["v"])
	}
	if bytes.ContainsAny(buf.Bytes(), "\x7f\u009b\u202e") {
		t.Errorf("raw control left: %q", buf.Bytes())
	}
}

func TestWriterPassesColourOnly(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := "\x1b[1;31merror\x1b[0m: host \x1b]0;TITLE\x07 \x1b[2J \x1b[38:5:1m\n"
	n, err := w.Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("n=%d err=%v", n, err)
	}
	want := "\x1b[1;31merror\x1b[0m: host \\u001b]0;TITLE\\u0007 \\u001b[2J \x1b[38:5:1m\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestShortenAndQuote(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	s := Shorten(long, 40)
	if !strings.Contains(s, "…(1048536 bytes left out)…") || utf8.RuneCountInString(s) > 80 {
		t.Errorf("Shorten = %q", s)
	}
	if Shorten("short", 40) != "short" {
		t.Error("short text changed")
	}
	if got := Shorten("ééééé", 4); got != "éé…(2 bytes left out)…éé" {
		t.Errorf("runes: %q", got)
	}
	q := Quote("\x1b]0;" + long)
	if len(q) > 400 || !strings.HasPrefix(q, `"\x1b]0;`) {
		t.Errorf("Quote = %q", q)
	}
	if _, err := strconv.Unquote(q); err != nil {
		t.Errorf("Quote is not a Go string literal: %v", err)
	}
}

// FuzzEscape checks the promise: whatever comes in, what goes out is
// valid UTF-8 without a control or format character, and is the input
// itself when that was printable.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "www.probe.test", "\x1b]0;T\a", "\xff", "\u202e", "a\nb", "\U000e0001", "\x1b[31m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Escape(s), escapeStream(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("%q → invalid UTF-8 %q", s, out)
			}
			for i, r := range out {
				if printable(r, true) {
					continue
				}
				if r == 0x1b && out == escapeStream(s) && sgrLen(out[i:]) > 0 {
					continue
				}
				t.Fatalf("%q → %q keeps %U", s, out, r)
			}
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !printable(r, false) }) && Escape(s) != s {
			t.Fatalf("printable %q changed to %q", s, Escape(s))
		}
	})
}
