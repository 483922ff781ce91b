package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/probe-net/probe/sdk"
)

// fullOptions are the inputs testdata/full.hcl is loaded with.
func fullOptions() LoadOptions {
	env := map[string]string{"PROBE_VAR_http_port": "8080", "PROBE_TEST_HOST": "env"}
	return LoadOptions{
		Vars:   map[string]string{"strict": "false"},
		Getenv: func(name string) string { return env[name] },
	}
}

func mustLoad(t *testing.T, path string, opts LoadOptions) *File {
	t.Helper()
	file, diags := NewLoader().Load(path, opts)
	if diags.HasErrors() {
		t.Fatalf("Load(%s): %s", path, renderDiags(diags))
	}
	return file
}

// position renders a range's start as file:line:col.
func position(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// withoutBodies returns a copy of f without plugin config bodies and with
// ranges reduced to their start (compared as positions), so that it can be
// compared with reflect.DeepEqual.
func withoutBodies(f *File) *File {
	out := *f
	out.Plugins = append([]Plugin(nil), f.Plugins...)
	out.Targets = append([]Target(nil), f.Targets...)
	for i := range out.Plugins {
		out.Plugins[i].Config = nil
		out.Plugins[i].Range = hcl.Range{Filename: position(out.Plugins[i].Range)}
		out.Plugins[i].PathRange = hcl.Range{} // checked in TestPluginPathRange
	}
	for i := range out.Targets {
		out.Targets[i].Range = hcl.Range{Filename: position(out.Targets[i].Range)}
	}
	return &out
}

func at(pos string) hcl.Range { return hcl.Range{Filename: pos} }

func TestLoadFull(t *testing.T) {
	file := mustLoad(t, "testdata/full.hcl", fullOptions())
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		Path: "testdata/full.hcl",
		Run:  Run{Count: 5, Interval: 200 * time.Millisecond, Sequential: true, Concurrency: 8},
		Plugins: []Plugin{
			{Name: "dns", Path: filepath.Join(dir, "bin/probe-plugin-statichosts"),
				Args:    []string{"--flag", "--level=debug"},
				SHA256:  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
				Env:     map[string]string{"HTTPS_PROXY": "http://127.0.0.1:3128", "LOG_TO": "probe.test"},
				PassEnv: []string{"SSL_CERT_FILE"}, Range: at("testdata/full.hcl:32:1")},
			{Name: "tls", Builtin: "tls", Range: at("testdata/full.hcl:45:1")},
			{Name: "mycheck", Builtin: "http", Range: at("testdata/full.hcl:51:1")},
		},
		Targets: []Target{
			{Name: "web", Host: "www.probe.test", Protocol: "http", Port: 8080, Timeout: 3 * time.Second,
				Phases: []string{"dns", "tcp", "http", "mycheck"}, Explicit: true, Range: at("testdata/full.hcl:55:1")},
			{Name: "secure", Host: "secure.probe.test", Protocol: "https", Port: 443, Timeout: 2 * time.Second,
				Phases: []string{"dns", "tcp", "tls", "http"}, Range: at("testdata/full.hcl:61:1")},
			{Name: "db", Host: "127.0.0.1", Protocol: "tcp", Port: 5432, Timeout: 3 * time.Second,
				Phases: []string{"dns", "tcp"}, Range: at("testdata/full.hcl:67:1")},
			{Name: "tls-only", Host: "::1", Protocol: "tls", Port: 443, Timeout: 3 * time.Second,
				Phases: []string{"tcp", "tls"}, Explicit: true, Range: at("testdata/full.hcl:73:1")},
			{Name: "from-env", Host: "env.probe.test", Protocol: "http", Port: 80, Timeout: 3 * time.Second,
				Phases: []string{"dns", "tcp", "http"}, Range: at("testdata/full.hcl:79:1")},
		},
	}
	if got := withoutBodies(file); !reflect.DeepEqual(got, want) {
		t.Errorf("decoded file:\n got %+v\nwant %+v", got, want)
	}
	assertFullConfigs(t, file)
}

// assertFullConfigs decodes the config blocks of full.hcl (or its JSON
// twin) the way the host does once it knows the plugins' schemas.
func assertFullConfigs(t *testing.T, file *File) {
	t.Helper()
	schemas := map[string][]sdk.Attribute{
		"dns": {
			{Name: "servers", Type: sdk.List(sdk.String), Required: true},
			{Name: "hosts", Type: sdk.Map(sdk.List(sdk.String))},
		},
		"tls": {{Name: "verify", Type: sdk.Bool}},
	}
	want := map[string]string{
		"dns":     `{"hosts":{"www.probe.test":["127.0.0.1","::1"]},"servers":["127.0.0.1:53"]}`,
		"tls":     `{"verify":false}`, // Vars["strict"] = "false" converted to the default's type
		"mycheck": `{}`,
	}
	for _, p := range file.Plugins {
		got, diags := DecodePluginConfig(p.Config, p.Range, schemas[p.Name])
		if diags.HasErrors() || string(got) != want[p.Name] {
			t.Errorf("plugin %q config = %s, %s; want %s", p.Name, got, renderDiags(diags), want[p.Name])
		}
	}
}

func TestLoadJSONSyntax(t *testing.T) {
	fromHCL := withoutBodies(mustLoad(t, "testdata/full.hcl", fullOptions()))
	file := mustLoad(t, "testdata/full.hcl.json", fullOptions())
	assertFullConfigs(t, file)
	fromJSON := withoutBodies(file)
	if fromJSON.Path != "testdata/full.hcl.json" {
		t.Errorf("Path = %q", fromJSON.Path)
	}
	// Same content; only the positions differ.
	fromJSON.Path = fromHCL.Path
	for i := range fromJSON.Plugins {
		fromJSON.Plugins[i].Range = fromHCL.Plugins[i].Range
	}
	for i := range fromJSON.Targets {
		fromJSON.Targets[i].Range = fromHCL.Targets[i].Range
	}
	if !reflect.DeepEqual(fromJSON, fromHCL) {
		t.Errorf("JSON file decodes to\n%+v\nHCL file to\n%+v", fromJSON, fromHCL)
	}
}

func TestLoadBad(t *testing.T) {
	badEnv := func(name string) string {
		if name == "PROBE_VAR_http_port" {
			return "eighty"
		}
		return ""
	}
	tests := []struct {
		file string
		opts LoadOptions
		want string
	}{
		{file: "syntax.hcl",
			want: "testdata/bad/syntax.hcl:1:14: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file."},
		{file: "unknown_attribute.hcl",
			want: `testdata/bad/unknown_attribute.hcl:3:3: Unsupported argument; An argument named "colour" is not expected here.`},
		{file: "unknown_attribute.hcl.json",
			want: `testdata/bad/unknown_attribute.hcl.json:5:7: Extraneous JSON object property; No argument or block type is named "colour".`},
		{file: "unknown_block.hcl",
			want: `testdata/bad/unknown_block.hcl:1:1: Unsupported block type; Blocks of type "probe" are not expected here.`},
		{file: "missing_host.hcl",
			want: `testdata/bad/missing_host.hcl:1:14: Missing required argument; The argument "host" is required, but no definition was found.`},
		{file: "wrong_type.hcl",
			want: `testdata/bad/wrong_type.hcl:2:12: Unsuitable value type; Unsuitable value: a number is required`},
		{file: "duplicate_target.hcl",
			want: `testdata/bad/duplicate_target.hcl:5:1: Duplicate target block; target "web" is already defined on line 1.`},
		{file: "duplicate_plugin.hcl",
			want: `testdata/bad/duplicate_plugin.hcl:5:1: Duplicate plugin block; plugin "dns" is already defined on line 1.`},
		{file: "duplicate_variable.hcl",
			want: `testdata/bad/duplicate_variable.hcl:5:1: Duplicate variable block; variable "domain" is already defined on line 1.`},
		{file: "duplicate_config.hcl",
			want: `testdata/bad/duplicate_config.hcl:5:3: Duplicate config block; Only one config block is allowed; the first is on line 2.`},
		{file: "two_run.hcl",
			want: `testdata/bad/two_run.hcl:5:1: Duplicate run block; Only one run block is allowed; the first is on line 1.`},
		{file: "two_defaults.hcl",
			want: `testdata/bad/two_defaults.hcl:4:1: Duplicate defaults block; Only one defaults block is allowed; the first is on line 1.`},
		{file: "empty_target_name.hcl",
			want: `testdata/bad/empty_target_name.hcl:1:8: Invalid target name; A target name must not be empty.`},
		{file: "bad_protocol.hcl",
			want: `testdata/bad/bad_protocol.hcl:3:14: Invalid protocol; protocol = "ftp" is not one of tcp, tls, http, https.`},
		{file: "port_range.hcl",
			want: `testdata/bad/port_range.hcl:3:10: Invalid port; port = 70000 is outside 1..65535.`},
		{file: "tcp_without_port.hcl",
			want: `testdata/bad/tcp_without_port.hcl:1:1: Missing port; target "db": protocol "tcp" has no default port; set port.`},
		{file: "empty_host.hcl",
			want: `testdata/bad/empty_host.hcl:2:10: Invalid host; target "web": host must not be empty.`},
		{file: "host_url.hcl",
			want: `testdata/bad/host_url.hcl:2:10: Invalid host; target "web": host must be a name or IP address, not a URL ("https://www.probe.test").`},
		{file: "host_with_port.hcl",
			want: `testdata/bad/host_with_port.hcl:2:10: Invalid host; target "web": host must be a name or IP address without a port ("www.probe.test:8080"); set port instead.`},
		{file: "host_invalid_idn.hcl",
			want: `testdata/bad/host_invalid_idn.hcl:2:10: Invalid host; target "books": "a\u200db.probe.test" is not a valid internationalised domain name (IDNA 2008, UTS #46): invalid label "a\u200db".`},
		{file: "name_without_resolve.hcl",
			want: `testdata/bad/name_without_resolve.hcl:4:12: Missing resolve phase; target "web": host "www.probe.test" is a name, and no phase before tcp resolves it: put "dns" before "tcp" in phases, or use an IP address.`},
		{file: "bad_duration.hcl",
			want: `testdata/bad/bad_duration.hcl:3:13: Invalid duration; timeout = "2 seconds" is not a duration: write a number and a unit, such as "2s" or "500ms".`},
		{file: "negative_timeout.hcl",
			want: `testdata/bad/negative_timeout.hcl:2:13: Invalid duration; timeout = "-1s" must be greater than zero, such as "2s" or "500ms".`},
		{file: "zero_timeout.hcl",
			want: `testdata/bad/zero_timeout.hcl:3:13: Invalid duration; timeout = "0s" must be greater than zero, such as "2s" or "500ms".`},
		{file: "negative_interval.hcl",
			want: `testdata/bad/negative_interval.hcl:2:14: Invalid duration; interval = "-200ms" must not be negative; write "0s" for none.`},
		{file: "count_zero.hcl",
			want: `testdata/bad/count_zero.hcl:2:11: Invalid count; count = 0; it must be at least 1.`},
		{file: "concurrency_zero.hcl",
			want: `testdata/bad/concurrency_zero.hcl:2:17: Invalid concurrency; concurrency = 0; it must be at least 1.`},
		{file: "plugin_path_and_builtin.hcl",
			want: `testdata/bad/plugin_path_and_builtin.hcl:3:3: Conflicting plugin source; plugin "dns" sets both path and builtin; set one of them.`},
		{file: "plugin_unknown_builtin.hcl",
			want: `testdata/bad/plugin_unknown_builtin.hcl:2:13: Unknown built-in; builtin = "ftp" is not a built-in phase; the built-ins are dns, tcp, tls, http.`},
		{file: "plugin_args_without_path.hcl",
			want: `testdata/bad/plugin_args_without_path.hcl:2:3: Unexpected args; plugin "dns": args are passed to an external plugin; set path too, or remove args.`},
		{file: "plugin_sha256_not_hex.hcl",
			want: `testdata/bad/plugin_sha256_not_hex.hcl:3:12: Invalid sha256; plugin "dns": sha256 = "not-a-digest" is not a SHA-256 digest: write its 64 hexadecimal digits, as sha256sum prints them.`},
		{file: "plugin_sha256_without_path.hcl",
			want: `testdata/bad/plugin_sha256_without_path.hcl:2:3: Unexpected sha256; plugin "dns": sha256 pins an external plugin's executable; set path too, or remove sha256.`},
		{file: "plugin_env_bad_names.hcl",
			want: `testdata/bad/plugin_env_bad_names.hcl:2:11: Invalid environment variable name; plugin "dns": env: "HTTPS PROXY" is not a variable name: use letters, digits and underscores, not starting with a digit.` + "\n" +
				`testdata/bad/plugin_env_bad_names.hcl:2:52: Reserved environment variable; plugin "dns": env: PLUGIN_MIN_PORT is reserved: probe sets the names beginning with PLUGIN_ or PROBE_ for the plugin protocol.`},
		{file: "plugin_pass_env_bad.hcl",
			want: `testdata/bad/plugin_pass_env_bad.hcl:3:15: Duplicate environment variable; plugin "dns": HTTPS_PROXY is both set in env and passed in pass_env; keep one.` + "\n" +
				`testdata/bad/plugin_pass_env_bad.hcl:3:30: Reserved environment variable; plugin "dns": pass_env: PROBE_LOG is reserved: probe sets the names beginning with PLUGIN_ or PROBE_ for the plugin protocol.` + "\n" +
				`testdata/bad/plugin_pass_env_bad.hcl:3:55: Duplicate environment variable; plugin "dns": pass_env lists "NO_PROXY" twice.` + "\n" +
				`testdata/bad/plugin_pass_env_bad.hcl:3:67: Invalid environment variable name; plugin "dns": pass_env: "2FA" is not a variable name: use letters, digits and underscores, not starting with a digit.`},
		{file: "plugin_env_not_a_map.hcl",
			want: `testdata/bad/plugin_env_not_a_map.hcl:2:9: Unsuitable value type; Unsuitable value: map of string required`},
		{file: "plugin_without_source.hcl",
			want: `testdata/bad/plugin_without_source.hcl:1:1: Missing plugin source; plugin "mycheck" is not a built-in phase: set path (an executable) or builtin (a built-in that serves it).`},
		{file: "empty_plugin_path.hcl",
			want: `testdata/bad/empty_plugin_path.hcl:2:10: Invalid path; path must not be empty.`},
		{file: "plugin_config_block_inside.hcl",
			want: `testdata/bad/plugin_config_block_inside.hcl:3:5: Unexpected "server" block; Blocks are not allowed here.`},
		{file: "config_undefined_reference.hcl",
			want: `testdata/bad/config_undefined_reference.hcl:3:19: Unsupported attribute; This object does not have an attribute named "dns_server".`},
		{file: "unknown_phase.hcl",
			want: `testdata/bad/unknown_phase.hcl:3:35: Unknown phase; target "web": unknown phase "mycheck"; declare it with a plugin "mycheck" block.`},
		{file: "unknown_phase_in_defaults.hcl",
			want: `testdata/bad/unknown_phase_in_defaults.hcl:2:27: Unknown phase; defaults: unknown phase "ping"; declare it with a plugin "ping" block.`},
		{file: "duplicate_phase.hcl",
			want: `testdata/bad/duplicate_phase.hcl:3:27: Duplicate phase; target "web": phase "dns" is listed twice.`},
		{file: "empty_phases.hcl",
			want: `testdata/bad/empty_phases.hcl:3:12: Invalid phases; target "web": phases must name at least one phase.`},
		{file: "invalid_variable_name.hcl",
			want: `testdata/bad/invalid_variable_name.hcl:1:10: Invalid variable name; "dns server" cannot be used as var.NAME; a name is letters, digits, underscores and dashes, starting with a letter.`},
		{file: "variable_without_value.hcl",
			want: `testdata/bad/variable_without_value.hcl:1:1: Missing variable value; variable "dns_server" has no value: give it a default or set PROBE_VAR_dns_server.`},
		{file: "variable_bad_env_value.hcl", opts: LoadOptions{Getenv: badEnv},
			want: `testdata/bad/variable_bad_env_value.hcl:1:1: Invalid variable value; variable "http_port" takes a number (like its default), but PROBE_VAR_http_port is "eighty".`},
		{file: "variable_bad_env_value.hcl", opts: LoadOptions{Vars: map[string]string{"http_port": "eighty"}},
			want: `testdata/bad/variable_bad_env_value.hcl:1:1: Invalid variable value; variable "http_port" takes a number (like its default), but the value given for http_port is "eighty".`},
		{file: "undeclared_var.hcl", opts: LoadOptions{Vars: map[string]string{"domain": "x", "dns": "y"}},
			want: `Undeclared variable; A value was given for variable "dns", but the file declares no variable "dns".` + "\n" +
				`Undeclared variable; A value was given for variable "domain", but the file declares no variable "domain".`},
		{file: "undefined_reference.hcl",
			want: `testdata/bad/undefined_reference.hcl:6:20: Unsupported attribute; This object does not have an attribute named "domian".`},
		{file: "serve_unknown_warm_target.hcl",
			want: `testdata/bad/serve_unknown_warm_target.hcl:2:18: Unknown target; serve: warm names target "api", which the file does not define; name a target, or "*" for all.`},
		{file: "serve_bad_bucket.hcl",
			want: `testdata/bad/serve_bad_bucket.hcl:2:21: Invalid duration; buckets: "ten ms" is not a duration: write a number and a unit, such as "2s" or "500ms".` + "\n" +
				`testdata/bad/serve_bad_bucket.hcl:2:31: Invalid duration; buckets: "0s" must be greater than zero.` + "\n" +
				`testdata/bad/serve_bad_bucket.hcl:2:44: Invalid buckets; buckets: "2ms" is not greater than the bound before it (5ms); list the bounds in ascending order.`},
		{file: "serve_bucket_factor.hcl",
			want: `testdata/bad/serve_bucket_factor.hcl:2:26: Invalid native_bucket_factor; native_bucket_factor = 1; it must be greater than 1, such as 1.1 (each bucket at most 10% wider than the last).`},
		{file: "serve_unknown_attribute.hcl",
			want: `testdata/bad/serve_unknown_attribute.hcl:2:3: Unsupported argument; An argument named "listen" is not expected here.`},
		{file: "serve_empty_buckets.hcl",
			want: `testdata/bad/serve_empty_buckets.hcl:2:20: Invalid buckets; buckets must name at least one bound, such as ["1ms", "10ms", "100ms", "1s"].` + "\n" +
				`testdata/bad/serve_empty_buckets.hcl:3:20: Invalid duration; timeout_offset = "-1s" must not be negative; write "0s" for none.`},
		{file: "two_serve.hcl",
			want: `testdata/bad/two_serve.hcl:4:1: Duplicate serve block; Only one serve block is allowed; the first is on line 1.`},
		{file: "several.hcl", // every problem is reported, in file order
			want: `testdata/bad/several.hcl:2:11: Invalid count; count = 0; it must be at least 1.` + "\n" +
				`testdata/bad/several.hcl:6:14: Invalid host; target "web": host must be a name or IP address, not a URL ("https://www.probe.test").` + "\n" +
				`testdata/bad/several.hcl:7:14: Invalid protocol; protocol = "gopher" is not one of tcp, tls, http, https.` + "\n" +
				`testdata/bad/several.hcl:8:14: Invalid duration; timeout = "soon" is not a duration: write a number and a unit, such as "2s" or "500ms".` + "\n" +
				`testdata/bad/several.hcl:11:1: Duplicate target block; target "web" is already defined on line 5.`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			if tt.opts.Getenv == nil {
				tt.opts.Getenv = func(string) string { return "" }
			}
			file, diags := NewLoader().Load(filepath.Join("testdata/bad", tt.file), tt.opts)
			if file != nil {
				t.Errorf("Load returned a File along with errors")
			}
			if got := renderDiags(diags); got != tt.want {
				t.Errorf("diagnostics:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestEveryBadFixtureIsTested keeps the table above and testdata/bad in step.
func TestEveryBadFixtureIsTested(t *testing.T) {
	entries, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("config_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !bytes.Contains(src, []byte(`{file: "`+e.Name()+`"`)) {
			t.Errorf("testdata/bad/%s has no entry in TestLoadBad", e.Name())
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	file, diags := NewLoader().Load("testdata/does-not-exist.hcl", LoadOptions{})
	if file != nil || len(diags) != 1 || diags[0].Summary != "Cannot read targets file" ||
		!strings.Contains(diags[0].Detail, "does-not-exist.hcl") {
		t.Fatalf("Load(missing) = %v, %s", file, renderDiags(diags))
	}
}

func TestLoadEmptyFile(t *testing.T) {
	file, diags := NewLoader().LoadSource("empty.hcl", nil, LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	want := &File{Path: "empty.hcl", Run: Run{Count: 1, Concurrency: 16}}
	if !reflect.DeepEqual(file, want) {
		t.Errorf("empty file = %+v, want %+v", file, want)
	}
}

func TestTargetDefaults(t *testing.T) {
	src := `
defaults {
  port   = 8443
  phases = ["dns", "tcp", "tls"]
}
target "a" {
  host = "a.probe.test"
}
target "b" {
  host     = "192.0.2.1"
  protocol = "http"
  port     = 8080
  phases   = ["tcp", "http"]
  timeout  = "250ms"
}
target "c" {
  host = "fe80::1%eth0"
}
`
	file := loadSource(t, src, LoadOptions{})
	want := []Target{
		{Name: "a", Host: "a.probe.test", Protocol: "https", Port: 8443, Timeout: 5 * time.Second,
			Phases: []string{"dns", "tcp", "tls"}, Explicit: true},
		{Name: "b", Host: "192.0.2.1", Protocol: "http", Port: 8080, Timeout: 250 * time.Millisecond,
			Phases: []string{"tcp", "http"}, Explicit: true},
		{Name: "c", Host: "fe80::1%eth0", Protocol: "https", Port: 8443, Timeout: 5 * time.Second,
			Phases: []string{"dns", "tcp", "tls"}, Explicit: true},
	}
	for i := range file.Targets {
		file.Targets[i].Range = hcl.Range{}
	}
	if !reflect.DeepEqual(file.Targets, want) {
		t.Errorf("targets:\n got %+v\nwant %+v", file.Targets, want)
	}
	// Targets sharing the defaults' chain must not share its slice.
	file.Targets[0].Phases[0] = "changed"
	if file.Targets[2].Phases[0] != "dns" {
		t.Error("targets share the phases slice of the defaults block")
	}
}

// An internationalised name goes on the wire as its A-label (IDNA 2008 /
// UTS #46).
func TestInternationalisedHostMapsToALabels(t *testing.T) {
	file := loadSource(t, `
target "books" {
  host = "Bücher.probe.test"
}
target "plain" {
  host = "WWW.probe.test"
}
`, LoadOptions{})
	if b := file.Targets[0]; b.Host != "xn--bcher-kva.probe.test" {
		t.Errorf("books: host %q, want the A-label", b.Host)
	}
	if p := file.Targets[1]; p.Host != "WWW.probe.test" {
		t.Errorf("plain: host %q; an ASCII name stays as written", p.Host)
	}
}

// An IP-literal host needs no resolve phase: the literal is the address.
func TestIPLiteralNeedsNoResolvePhase(t *testing.T) {
	file := loadSource(t, `
target "raw" {
  host   = "127.0.0.1"
  port   = 8080
  phases = ["tcp", "http"]
}
`, LoadOptions{})
	if got := strings.Join(file.Targets[0].Phases, ","); got != "tcp,http" {
		t.Errorf("phases = %s", got)
	}
}

func loadSource(t *testing.T, src string, opts LoadOptions) *File {
	t.Helper()
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	file, diags := NewLoader().LoadSource("/etc/probe/targets.hcl", []byte(src), opts)
	if diags.HasErrors() {
		t.Fatalf("LoadSource: %s", renderDiags(diags))
	}
	return file
}

func TestVariablePrecedence(t *testing.T) {
	const src = `
variable "v" {
  default = "from-default"
}
target "t" {
  host = var.v
}
`
	tests := []struct {
		name string
		vars map[string]string
		env  map[string]string
		want string
	}{
		{name: "default", want: "from-default"},
		{name: "env over default", env: map[string]string{"PROBE_VAR_v": "from-env"}, want: "from-env"},
		{name: "empty env is unset", env: map[string]string{"PROBE_VAR_v": ""}, want: "from-default"},
		{name: "vars over env", vars: map[string]string{"v": "from-vars"},
			env: map[string]string{"PROBE_VAR_v": "from-env"}, want: "from-vars"},
		{name: "undeclared env ignored", env: map[string]string{"PROBE_VAR_other": "x"}, want: "from-default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(name string) string { return tt.env[name] }
			file := loadSource(t, src, LoadOptions{Vars: tt.vars, Getenv: getenv})
			if got := file.Targets[0].Host; got != tt.want {
				t.Errorf("host = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVariableTypes(t *testing.T) {
	const src = `
variable "port" {
  default = 80
}
variable "seq" {
  default = false
}
variable "host" {}
run {
  sequential = var.seq
}
target "t" {
  host = var.host
  port = var.port
}
`
	env := map[string]string{"PROBE_VAR_port": "8080", "PROBE_VAR_seq": "true", "PROBE_VAR_host": "h.probe.test"}
	file := loadSource(t, src, LoadOptions{Getenv: func(name string) string { return env[name] }})
	if got := file.Targets[0]; got.Port != 8080 || got.Host != "h.probe.test" {
		t.Errorf("target = %+v, want port 8080 and host h.probe.test", got)
	}
	if !file.Run.Sequential {
		t.Error("PROBE_VAR_seq=true did not set sequential")
	}
}

func TestEnvFunction(t *testing.T) {
	const src = `
target "t" {
  host = "${env("PROBE_TEST_SET")}${env("PROBE_TEST_UNSET")}.probe.test"
}
`
	getenv := func(name string) string {
		if name == "PROBE_TEST_SET" {
			return "set"
		}
		return ""
	}
	file := loadSource(t, src, LoadOptions{Getenv: getenv})
	if got := file.Targets[0].Host; got != "set.probe.test" {
		t.Errorf("host = %q, want set.probe.test", got)
	}
}

func TestDefaultGetenvIsOSGetenv(t *testing.T) {
	t.Setenv("PROBE_VAR_host", "os.probe.test")
	file, diags := NewLoader().LoadSource("t.hcl", []byte(`
variable "host" {}
target "t" {
  host = var.host
}
`), LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	if got := file.Targets[0].Host; got != "os.probe.test" {
		t.Errorf("host = %q, want os.probe.test", got)
	}
}

func TestPluginPathResolution(t *testing.T) {
	const src = `
plugin "dns" {
  path = "./bin/probe-plugin-dns"
}
plugin "tcp" {
  path = "probe-plugin-tcp"
}
plugin "tls" {
  path = "/opt/probe/probe-plugin-tls"
}
`
	file := loadSource(t, src, LoadOptions{})
	want := []string{"/etc/probe/bin/probe-plugin-dns", "/etc/probe/probe-plugin-tcp", "/opt/probe/probe-plugin-tls"}
	for i, p := range file.Plugins {
		if p.Path != want[i] || p.Builtin != "" {
			t.Errorf("plugin %q: path %q builtin %q, want path %q", p.Name, p.Path, p.Builtin, want[i])
		}
	}

	// A relative file name resolves against the working directory.
	f, diags := NewLoader().LoadSource("conf/targets.hcl", []byte(src), LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Plugins[0].Path, filepath.Join(wd, "conf/bin/probe-plugin-dns"); got != want {
		t.Errorf("path = %q, want %q", got, want)
	}
}

func TestWriteDiagnostics(t *testing.T) {
	l := NewLoader()
	_, diags := l.Load("testdata/bad/unknown_phase.hcl", LoadOptions{})
	var buf bytes.Buffer
	if err := l.WriteDiagnostics(&buf, diags, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`testdata/bad/unknown_phase.hcl:3:35: error: Unknown phase: target "web": unknown phase "mycheck"; declare it with a plugin "mycheck" block` + "\n",
		`    3 |   phases = ["dns", "tcp", "http", "mycheck"]` + "\n",
		`      |                                   ^^^^^^^^^` + "\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, buf.String())
		}
	}
	buf.Reset()
	if err := l.WriteDiagnostics(&buf, diags, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\x1b[1;31merror\x1b[0m") {
		t.Errorf("colored output lacks the colored severity:\n%q", buf.String())
	}
}

// TestLoaderShowsLatestSource: loading a name again replaces the source
// that diagnostics are shown against.
func TestLoaderShowsLatestSource(t *testing.T) {
	l := NewLoader()
	l.LoadSource("t.hcl", []byte("target \"a\" {\n  host = \"a.probe.test\"\n}\n"), LoadOptions{})
	_, diags := l.LoadSource("t.hcl", []byte("target \"a\" {\n  host = \"a.probe.test\"\n  port = 0\n}\n"), LoadOptions{})
	var buf bytes.Buffer
	if err := l.WriteDiagnostics(&buf, diags, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "    3 |   port = 0") {
		t.Errorf("output does not show the second source:\n%s", buf.String())
	}
}

func TestFormat(t *testing.T) {
	messy := []byte("target   \"web\"   {\nhost=\"www.probe.test\"\n   port    = 8080\n  phases=[\"dns\",\"tcp\"]\n}\n")
	want := "target \"web\" {\n  host   = \"www.probe.test\"\n  port   = 8080\n  phases = [\"dns\", \"tcp\"]\n}\n"
	got := Format(messy)
	if string(got) != want {
		t.Fatalf("Format:\n%s\nwant:\n%s", got, want)
	}
	if again := Format(got); !bytes.Equal(again, got) {
		t.Errorf("Format is not idempotent:\n%s", again)
	}
	before := loadSource(t, string(messy), LoadOptions{})
	after := loadSource(t, string(got), LoadOptions{})
	before.Targets[0].Range, after.Targets[0].Range = hcl.Range{}, hcl.Range{}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("formatting changed the meaning:\n%+v\n%+v", before, after)
	}
	full, err := os.ReadFile("testdata/full.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if got := Format(full); !bytes.Equal(got, full) {
		t.Errorf("testdata/full.hcl is not formatted:\n%s", got)
	}
}

// TestLoadOddInputs: malformed files give errors, never a panic or a File.
func TestLoadOddInputs(t *testing.T) {
	sources := map[string]string{
		"a.hcl":  `target {}`,
		"b.hcl":  `target "a" "b" {}`,
		"c.hcl":  `variable {}`,
		"d.hcl":  `run "x" {}`,
		"e.hcl":  `plugin "x" { config = 5 }`,
		"f.hcl":  "target \"a\" {\n  host = \"h\"\n  port = null\n}\n",
		"g.hcl":  "target \"a\" {\n  host = \"h\"\n  phases = null\n}\n",
		"h.hcl":  "target \"a\" {\n  host = env(null)\n}\n",
		"i.hcl":  `variable "a" { default = var.b }`,
		"j.json": `{"target": "x"}`,
		"k.json": `[1]`,
		"l.json": `{"plugin": {"x": {"config": [1]}}}`,
	}
	for name, src := range sources {
		file, diags := NewLoader().LoadSource(name, []byte(src), LoadOptions{Getenv: func(string) string { return "" }})
		if file != nil || !diags.HasErrors() {
			t.Errorf("%s (%q): File %v, diagnostics %q", name, src, file, renderDiags(diags))
		}
	}
}

func TestDiagnosticWithoutPositionHasNoPrefix(t *testing.T) {
	var buf bytes.Buffer
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin config", Detail: "plugin \"tls\" rejected its config", Subject: &hcl.Range{}}
	if err := NewLoader().WriteDiagnostics(&buf, hcl.Diagnostics{d}, false); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "error: Invalid plugin config: plugin \"tls\" rejected its config\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
