package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// bigFile is a targets file well over chunkSize; extra goes in the middle.
func bigFile(n int, extra string) string {
	var b strings.Builder
	b.WriteString("plugin \"dns\" {\n  config {\n    servers = [\"127.0.0.1:53\"]\n  }\n}\n")
	for i := range n {
		if i == n/2 {
			b.WriteString(extra)
		}
		fmt.Fprintf(&b, "\n# target %d\ntarget \"t%06d\" {\n  host     = \"t%06d.bench.test\"\n  port     = %d\n  protocol = \"https\"\n}\n", i, i, i, 1000+i%5000)
	}
	return b.String()
}

func decodeWhole(t *testing.T, src string) *File {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "big.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	file, diags := decodeFile("big.hcl", f.Body, LoadOptions{Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return file
}

func TestChunkedParseDecodesLikeTheWholeFile(t *testing.T) {
	heredocBlock := "variable \"note\" {\n  default = <<EOT\ntarget \"not-a-block\" {\nEOT\n}\n"
	for name, extra := range map[string]string{
		"plain":        "",
		"heredoc":      heredocBlock + strings.Repeat(heredocBlock[:0], 1),
		"nested block": "plugin \"tls\" {\nconfig {\nca_file = \"x.pem\"\n}\n}\n",
	} {
		src := bigFile(3000, extra)
		if len(chunkCuts([]byte(src))) < 2 {
			t.Fatalf("%s: the file is not cut", name)
		}
		l := NewLoader()
		got, diags := l.LoadSource("big.hcl", []byte(src), LoadOptions{Getenv: func(string) string { return "" }})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		if want := decodeWhole(t, src); !reflect.DeepEqual(comparable(got), comparable(want)) {
			t.Errorf("%s: the chunked parse decodes differently", name)
		}
	}
}

func TestChunkedParseReportsErrorsAtTheirPlace(t *testing.T) {
	src := bigFile(3000, "")
	src = strings.Replace(src, "port     = 1002\n", "port     = \"x\" +\n", 1) // a broken expression far down
	line := strings.Count(src[:strings.Index(src, "\"x\" +")], "\n") + 1
	_, diags := NewLoader().LoadSource("big.hcl", []byte(src), LoadOptions{})
	if !diags.HasErrors() || diags[0].Subject == nil || diags[0].Subject.Start.Line != line {
		t.Fatalf("got %v, want an error on line %d", diags, line)
	}
}

func TestBlockHeader(t *testing.T) {
	for s, want := range map[string]bool{
		`target "web" {`: true, "plugin \"dns\" {": true, "run {": true, "defaults  {": true,
		"  target \"x\" {": false, `host = "x"`: false, "}": false, "# target \"x\"": false, "-x {": false,
	} {
		if got := blockHeader([]byte(s)); got != want {
			t.Errorf("blockHeader(%q) = %v, want %v", s, got, want)
		}
	}
}

// comparable drops the evaluation contexts (their functions never compare
// equal) from f's plugin bodies, keeping the bodies themselves.
func comparable(f *File) *File {
	c := *f
	c.Plugins = append([]Plugin(nil), f.Plugins...)
	for i, p := range c.Plugins {
		if eb, ok := p.Config.(*evalBody); ok {
			c.Plugins[i].Config = eb.Body
		}
	}
	return &c
}

// A cut that falls inside a heredoc leaves a piece that does not parse:
// the whole file is parsed instead, with the same result.
func TestChunkedParseFallsBackWhenACutSplitsAConstruct(t *testing.T) {
	var b strings.Builder
	b.WriteString("variable \"note\" {\n  default = <<EOT\n")
	for b.Len() < chunkSize+100 {
		b.WriteString("text text text text text text text text\n")
	}
	b.WriteString("target \"inside-the-heredoc\" {\nEOT\n}\n")
	b.WriteString(bigFile(1000, ""))
	src := []byte(b.String())
	if cuts := chunkCuts(src); len(cuts) == 0 || !strings.HasPrefix(string(src[cuts[0]:]), `target "inside-the-heredoc"`) {
		t.Fatalf("the first cut is not inside the heredoc: %v", cuts)
	}
	if _, ok := parseChunked(src, "x.hcl"); ok {
		t.Fatal("a piece ending inside a heredoc parsed")
	}
	got, diags := NewLoader().LoadSource("x.hcl", src, LoadOptions{Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(got.Targets) != 1000 {
		t.Errorf("%d targets, want 1000", len(got.Targets))
	}
}
