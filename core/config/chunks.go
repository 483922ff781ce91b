package config

import (
	"bytes"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// chunkSize is roughly how much source parseChunked lexes at a time.
const chunkSize = 64 << 10

// parseChunked parses a native-syntax file in pieces of about chunkSize,
// split before a line that starts a top-level block, and joins the pieces'
// top-level items into one body: the same file as hclsyntax.ParseConfig
// makes, positions included, without ever holding the whole file's tokens.
// The lexer keeps every token of its input at once (about 100 bytes per
// token, and the slice grows by doubling): at 10,000 targets that was the
// peak of a run's heap, 50 MB of a 1 MB file. It reports false when the
// file is small or a piece does not parse on its own (a split inside a
// heredoc, a comment or an unindented nested block, or a genuine error),
// and the caller parses the whole file instead, so diagnostics are those
// of the whole file.
func parseChunked(src []byte, filename string) (*hcl.File, bool) {
	cuts := chunkCuts(src)
	if len(cuts) == 0 {
		return nil, false
	}
	var file *hcl.File
	var body *hclsyntax.Body
	start := hcl.InitialPos
	for i := 0; i <= len(cuts); i++ {
		end := len(src)
		if i < len(cuts) {
			end = cuts[i]
		}
		f, diags := hclsyntax.ParseConfig(src[start.Byte:end], filename, start)
		if diags.HasErrors() {
			return nil, false
		}
		b := f.Body.(*hclsyntax.Body)
		if file == nil {
			// The first piece's file becomes the whole: its navigation
			// (context in diagnostics) points at this body.
			file, body = f, b
		} else if !join(body, b) {
			return nil, false
		}
		start = hcl.Pos{Line: start.Line + bytes.Count(src[start.Byte:end], []byte("\n")), Column: 1, Byte: end}
	}
	file.Bytes = src
	return file, true
}

// join appends b's items to into; false when an attribute is defined in
// both (the whole-file parse reports that).
func join(into, b *hclsyntax.Body) bool {
	for name, a := range b.Attributes {
		if _, dup := into.Attributes[name]; dup {
			return false
		}
		into.Attributes[name] = a
	}
	into.Blocks = append(into.Blocks, b.Blocks...)
	into.SrcRange = hcl.RangeBetween(into.SrcRange, b.SrcRange)
	into.EndRange = b.EndRange
	return true
}

// chunkCuts returns byte offsets at which to cut src: each is the start of
// a line that begins, at column 1, with an identifier followed by spaces
// and a quote or a brace (a top-level block such as `target "web" {`), at
// least chunkSize after the previous cut.
func chunkCuts(src []byte) []int {
	var cuts []int
	last := 0
	for off := chunkSize; off < len(src); {
		nl := bytes.IndexByte(src[off:], '\n')
		if nl < 0 {
			break
		}
		line := off + nl + 1
		if blockHeader(src[line:]) {
			cuts = append(cuts, line)
			last = line
			off = last + chunkSize
			continue
		}
		off = line
	}
	return cuts
}

// blockHeader reports whether b starts with `ident "` or `ident {`.
func blockHeader(b []byte) bool {
	i := 0
	for i < len(b) && (b[i] == '_' || b[i] == '-' || b[i] >= 'a' && b[i] <= 'z' || b[i] >= 'A' && b[i] <= 'Z' || i > 0 && b[i] >= '0' && b[i] <= '9') {
		i++
	}
	if i == 0 || b[0] == '-' {
		return false
	}
	j := i
	for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
		j++
	}
	return j > i && j < len(b) && (b[j] == '"' || b[j] == '{')
}
