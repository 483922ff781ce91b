package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/probe-net/probe/sdk"
)

func TestPluginPathRange(t *testing.T) {
	file := mustLoad(t, "testdata/full.hcl", fullOptions())
	if got := position(file.Plugins[0].PathRange); got != "testdata/full.hcl:33:10" {
		t.Errorf("path range %s", got)
	}
	if got := position(file.Plugins[1].PathRange); got != "testdata/full.hcl:45:1" {
		t.Errorf("a built-in's path range is its block: %s", got)
	}
}

func TestCheckPath(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "exe")
	plain := filepath.Join(dir, "plain")
	for name, mode := range map[string]os.FileMode{exe: 0o755, plain: 0o644} {
		if err := os.WriteFile(name, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		"":                            "",
		exe:                           "",
		plain:                         "is not executable",
		dir:                           "is not a regular file",
		filepath.Join(dir, "missing"): "does not exist",
	} {
		d := Plugin{Name: "p", Path: path}.CheckPath()
		switch {
		case want == "" && d != nil:
			t.Errorf("%q: %s", path, d.Detail)
		case want != "" && (d == nil || !strings.Contains(d.Detail, want)):
			t.Errorf("%q: %v, want %q", path, d, want)
		}
	}
}

// A port that is not a whole number is one error, not also "Missing port".
func TestPortErrorsAreOneEach(t *testing.T) {
	for src, want := range map[string]string{
		`port = 80.5`:  `x.hcl:4:10: Invalid port; port = 80.5 is not a whole number; write one from 1 to 65535.`,
		`port = "x"`:   `x.hcl:4:10: Invalid port; port must be a whole number from 1 to 65535, not "x".`,
		`port = true`:  `x.hcl:4:10: Invalid port; port must be a whole number from 1 to 65535, not a bool.`,
		`port = null`:  `x.hcl:4:10: Invalid port; port must be a whole number from 1 to 65535, not null.`,
		`port = 1e30`:  `x.hcl:4:10: Invalid port; port = 1e+30 is outside 1..65535.`,
		`port = -1`:    `x.hcl:4:10: Invalid port; port = -1 is outside 1..65535.`,
		`port = "443"`: ``,
	} {
		full := "target \"a\" {\n  host     = \"127.0.0.1\"\n  protocol = \"tcp\"\n  " + src + "\n}\n"
		_, diags := NewLoader().LoadSource("x.hcl", []byte(full), LoadOptions{})
		if got := renderDiags(diags); got != want {
			t.Errorf("%s:\n got %s\nwant %s", src, got, want)
		}
	}
	// Nor when the defaults block has the bad port.
	full := "defaults {\n  port = 8.5\n}\ntarget \"a\" {\n  host     = \"127.0.0.1\"\n  protocol = \"tcp\"\n}\n"
	_, diags := NewLoader().LoadSource("x.hcl", []byte(full), LoadOptions{})
	if len(diags) != 1 {
		t.Errorf("defaults: %s", renderDiags(diags))
	}
}

// Attributes a plugin marks as paths are resolved against the targets
// file's directory, as a plugin block's path is; others are left alone.
func TestPluginConfigPathsResolveAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	src := `plugin "dns" {
  config {
    hosts_file = "hosts"
    ca_file    = "/etc/ssl/ca.pem"
    extra      = ["a/b", "/c"]
    empty      = ""
    name       = "not/a/path"
  }
}
`
	file, diags := NewLoader().LoadSource(filepath.Join(dir, "sub", "t.hcl"), []byte(src), LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	schema := []sdk.Attribute{
		{Name: "hosts_file", Type: sdk.String, Path: true},
		{Name: "ca_file", Type: sdk.String, Path: true},
		{Name: "extra", Type: sdk.List(sdk.String), Path: true},
		{Name: "empty", Type: sdk.String, Path: true},
		{Name: "unset", Type: sdk.String, Path: true},
		{Name: "name", Type: sdk.String},
	}
	out, diags := DecodePluginConfig(file.Plugins[0].Config, file.Plugins[0].Range, schema)
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"hosts_file": filepath.Join(dir, "sub", "hosts"),
		"ca_file":    "/etc/ssl/ca.pem",
		"extra":      []any{filepath.Join(dir, "sub", "a", "b"), "/c"},
		"empty":      "",
		"unset":      nil,
		"name":       "not/a/path",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}
