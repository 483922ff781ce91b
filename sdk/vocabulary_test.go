package sdk

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAttributeKeysOnlyAsConstants is the CI check that the attribute
// vocabulary has one spelling: outside sdk/ and the plugin that defines a
// key (plugins/<phase>/), no Go string literal may equal a well-known
// attribute key; code writes sdk.AttrTLSVersion, not "tls.version". A
// renamed key then breaks the build of every reader instead of silently
// emptying a column.
//
// Test files (_test.go) are not checked: they may spell keys out, because
// the keys are also a public contract (JSON output, third-party plugins),
// and a test asserting the literal "http.status" in a JSON document is what
// catches an accidental rename of the constant.
func TestAttributeKeysOnlyAsConstants(t *testing.T) {
	keys := attributeKeys(t)
	if len(keys) < 30 {
		t.Fatalf("found only %d attribute keys in sdk/vocabulary.go; is the parser still reading the right file?", len(keys))
	}
	root := moduleRoot(t)
	var bad []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "sdk") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		bad = append(bad, keyLiterals(t, path, filepath.ToSlash(rel), keys)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
}

// attributeKeys returns the values of the Attr* constants in
// vocabulary.go, each with the phase that defines it.
func attributeKeys(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "vocabulary.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || len(spec.Values) != 1 || !strings.HasPrefix(spec.Names[0].Name, "Attr") {
			return true
		}
		if lit, ok := spec.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
			key, _ := strconv.Unquote(lit.Value)
			phase, _, _ := strings.Cut(key, ".")
			keys[key] = phase
		}
		return true
	})
	return keys
}

// keyLiterals lists the string literals in one file that spell an
// attribute key the file's package does not define.
func keyLiterals(t *testing.T, path, rel string, keys map[string]string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parsing %s: %v", rel, err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		phase, known := keys[s]
		if err != nil || !known || strings.HasPrefix(rel, "plugins/"+phase+"/") {
			return true
		}
		pos := fset.Position(lit.Pos())
		out = append(out, rel+":"+strconv.Itoa(pos.Line)+": attribute key "+lit.Value+
			" spelled out; use the sdk.Attr* constant (sdk/vocabulary.go)")
		return true
	})
	return out
}

// moduleRoot is the directory holding go.mod, above this package's.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the sdk package")
		}
		dir = parent
	}
}
