package config

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestReferenceErrorExample: the error REFERENCE.md shows is what the
// loader prints for the file it shows.
func TestReferenceErrorExample(t *testing.T) {
	doc, err := os.ReadFile("REFERENCE.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	i := strings.Index(section, "\n## Errors\n")
	if i < 0 {
		t.Fatal("REFERENCE.md has no Errors section")
	}
	section = section[i:]
	src := fenced(t, section, "```hcl\n")
	rest := section[strings.Index(section, src)+len(src)+len("```\n"):]
	want := fenced(t, rest, "```\n")
	l := NewLoader()
	_, diags := l.LoadSource("targets.hcl", []byte(src), LoadOptions{})
	var got bytes.Buffer
	if err := l.WriteDiagnostics(&got, diags, false); err != nil {
		t.Fatal(err)
	}
	if got.String() != want {
		t.Errorf("REFERENCE.md shows:\n%s\nthe loader prints:\n%s", want, got.String())
	}
}

// fenced returns the body of the first code block in text that opens
// with open.
func fenced(t *testing.T, text, open string) string {
	t.Helper()
	i := strings.Index(text, open)
	if i < 0 {
		t.Fatalf("no %q block", strings.TrimSpace(open))
	}
	body := text[i+len(open):]
	j := strings.Index(body, "```\n")
	if j < 0 {
		t.Fatalf("unterminated %q block", strings.TrimSpace(open))
	}
	return body[:j]
}
