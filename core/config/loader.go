package config

import (
	"io"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// LoadOptions are the inputs of a load besides the file itself.
type LoadOptions struct {
	// Vars set variables; they win over the environment and defaults.
	// Naming an undeclared variable is an error.
	Vars map[string]string
	// Getenv looks up PROBE_VAR_<name> and env("NAME"); nil means os.Getenv.
	Getenv func(string) string
}

func (o LoadOptions) getenv(name string) string {
	if o.Getenv == nil {
		return os.Getenv(name)
	}
	return o.Getenv(name)
}

// Loader parses and decodes targets files. It keeps every file it parsed so
// that WriteDiagnostics can show the source lines diagnostics point at. A
// Loader is safe for concurrent use.
type Loader struct {
	mu    sync.Mutex
	files map[string]*hcl.File
}

// NewLoader returns an empty Loader.
func NewLoader() *Loader {
	return &Loader{files: map[string]*hcl.File{}}
}

// Load reads and decodes the targets file at path. The File is nil when the
// diagnostics hold an error.
func (l *Loader) Load(path string, opts LoadOptions) (*File, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read targets file",
			Detail:   err.Error(),
		}}
	}
	return l.LoadSource(path, src, opts)
}

// LoadSource decodes src as if it were read from filename, which also sets
// the directory that relative plugin paths are resolved against. Names
// ending in ".json" are parsed as HCL's JSON syntax. The File is nil when the
// diagnostics hold an error.
func (l *Loader) LoadSource(filename string, src []byte, opts LoadOptions) (*File, hcl.Diagnostics) {
	f, diags := l.parse(filename, src)
	if diags.HasErrors() {
		return nil, diags
	}
	file, more := decodeFile(filename, f.Body, opts)
	diags = append(diags, more...)
	if diags.HasErrors() {
		return nil, diags
	}
	return file, diags
}

// parse parses src and remembers the result under filename, replacing any
// earlier file of that name.
func (l *Loader) parse(filename string, src []byte) (*hcl.File, hcl.Diagnostics) {
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(filename, ".json") {
		f, diags = hcljson.Parse(src, filename)
	} else if chunked, ok := parseChunked(src, filename); ok {
		f = chunked
	} else {
		f, diags = hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	if f != nil {
		l.mu.Lock()
		l.files[filename] = f
		l.mu.Unlock()
	}
	return f, diags
}

// WriteDiagnostics renders diags with the source lines they point at. With
// color (a terminal), text is also wrapped at 100 columns.
func (l *Loader) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, color bool) error {
	l.mu.Lock()
	files := make(map[string]*hcl.File, len(l.files))
	for name, f := range l.files {
		files[name] = f
	}
	l.mu.Unlock()
	return writeDiagnostics(w, diags, files, color)
}

// Format returns src in HCL's canonical layout (what `probe fmt` writes).
// Source that does not parse comes back with only its whitespace adjusted.
func Format(src []byte) []byte {
	return hclwrite.Format(src)
}

// DeclaredTargets returns the names of the target blocks in src, in file
// order, without evaluating anything: it serves shell completion, so it
// works on files whose variables have no value yet, and returns what it can
// read of a file that does not parse. Names ending in ".json" are read as
// HCL's JSON syntax.
func DeclaredTargets(filename string, src []byte) []string {
	var f *hcl.File
	if strings.HasSuffix(filename, ".json") {
		f, _ = hcljson.Parse(src, filename)
	} else {
		f, _ = hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	if f == nil || f.Body == nil {
		return nil
	}
	content, _, _ := f.Body.PartialContent(&hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "target", LabelNames: []string{"name"}}},
	})
	if content == nil {
		return nil
	}
	var names []string
	for _, b := range content.Blocks {
		names = append(names, b.Labels[0])
	}
	return names
}
