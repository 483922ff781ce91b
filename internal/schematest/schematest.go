// Package schematest checks JSON that probe prints against the published
// schemas in docs/schema, so every test that produces a document also
// checks the output contract. Test helper only.
package schematest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Dir is where the schema files are, relative to the repository root.
const Dir = "docs/schema"

var (
	once    sync.Once
	schemas map[string]*jsonschema.Schema // by document schema name, "probe.run/v1"
	loadErr error
)

// root is the repository root, found from this file's place in it.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// FileName is the schema file of a document schema name:
// "probe.run/v1" → "probe.run.v1.json".
func FileName(name string) string { return strings.ReplaceAll(name, "/", ".") + ".json" }

// load compiles every schema file of Dir, each under its $id.
func load() (map[string]*jsonschema.Schema, error) {
	files, err := filepath.Glob(filepath.Join(root(), Dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no schema files in %s: %v", Dir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	ids := map[string]string{}
	for _, f := range files {
		id, err := addFile(c, f)
		if err != nil {
			return nil, err
		}
		ids[filepath.Base(f)] = id
	}
	out := map[string]*jsonschema.Schema{}
	for base, id := range ids {
		sch, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", base, err)
		}
		out[strings.TrimSuffix(base, ".v1.json")+"/v1"] = sch
	}
	return out, nil
}

func addFile(c *jsonschema.Compiler, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	id, _ := doc.(map[string]any)["$id"].(string)
	if id == "" {
		return "", fmt.Errorf("%s: no $id", path)
	}
	return id, c.AddResource(id, doc)
}

// Schema returns the compiled schema of a document schema name
// ("probe.run/v1"), failing the test when there is none.
func Schema(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	once.Do(func() { schemas, loadErr = load() })
	if loadErr != nil {
		t.Fatalf("loading the schemas: %v", loadErr)
	}
	sch, ok := schemas[name]
	if !ok {
		t.Fatalf("no schema %s in %s (want %s)", name, Dir, FileName(name))
	}
	return sch
}

// Check validates one JSON document against the schema its "schema" field
// names; any violation fails the test, quoting the document.
func Check(t testing.TB, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, data)
	}
	obj, _ := inst.(map[string]any)
	name, _ := obj["schema"].(string)
	if name == "" {
		t.Fatalf("document has no \"schema\" field:\n%s", data)
	}
	if err := Schema(t, name).Validate(inst); err != nil {
		t.Errorf("document does not match %s/%s:\n%v\n%s", Dir, FileName(name), err, data)
	}
}

// CheckLines validates every line of NDJSON output and returns the lines
// decoded as generic JSON objects.
func CheckLines(t testing.TB, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		Check(t, line)
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("line is not a JSON object: %v\n%s", err, line)
		}
		out = append(out, v)
	}
	return out
}
