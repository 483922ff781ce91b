package config

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/probe-net/probe/sdk"
	"github.com/zclconf/go-cty/cty"
)

// pluginConfigSource declares one plugin, "x", whose config block starts on
// line 5.
const pluginConfigSource = `variable "server" {
  default = "127.0.0.1:53"
}
plugin "x" {
  config {
    name    = "probe"
    retries = 3
    ratio   = 0.5
    verbose = true
    servers = [var.server, "[::1]:53"]
    labels  = { env = "test", "team name" = "net" }
    hosts   = { "www.probe.test" = ["127.0.0.1", "::1"] }
  }
  builtin = "http"
}
`

var everyType = []sdk.Attribute{
	{Name: "name", Type: sdk.String, Required: true},
	{Name: "retries", Type: sdk.Number},
	{Name: "ratio", Type: sdk.Number},
	{Name: "verbose", Type: sdk.Bool},
	{Name: "servers", Type: sdk.List(sdk.String), Required: true},
	{Name: "labels", Type: sdk.Map(sdk.String)},
	{Name: "hosts", Type: sdk.Map(sdk.List(sdk.String))},
	{Name: "timeout", Type: sdk.String}, // not set: null
}

// pluginX loads src from plugins.hcl and returns its plugin "x".
func pluginX(t *testing.T, src string, opts LoadOptions) Plugin {
	t.Helper()
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	file, diags := NewLoader().LoadSource("plugins.hcl", []byte(src), opts)
	if diags.HasErrors() {
		t.Fatalf("LoadSource: %s", renderDiags(diags))
	}
	for _, p := range file.Plugins {
		if p.Name == "x" {
			return p
		}
	}
	t.Fatal("no plugin \"x\"")
	return Plugin{}
}

func TestDecodePluginConfigEveryType(t *testing.T) {
	p := pluginX(t, pluginConfigSource, LoadOptions{Vars: map[string]string{"server": "127.0.0.2:53"}})
	got, diags := DecodePluginConfig(p.Config, p.Range, everyType)
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	want := `{"hosts":{"www.probe.test":["127.0.0.1","::1"]},` +
		`"labels":{"env":"test","team name":"net"},"name":"probe","ratio":0.5,"retries":3,` +
		`"servers":["127.0.0.2:53","[::1]:53"],"timeout":null,"verbose":true}`
	if string(got) != want {
		t.Errorf("config JSON:\n got %s\nwant %s", got, want)
	}
	// The plugin side decodes it as the SDK documents.
	var cfg struct {
		Servers []string            `json:"servers"`
		Hosts   map[string][]string `json:"hosts"`
		Retries int                 `json:"retries"`
		Timeout *string             `json:"timeout"`
	}
	if err := sdk.NewConfig(got).Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Retries != 3 || len(cfg.Servers) != 2 || len(cfg.Hosts["www.probe.test"]) != 2 || cfg.Timeout != nil {
		t.Errorf("decoded by the plugin: %+v", cfg)
	}
}

func TestDecodePluginConfigConverts(t *testing.T) {
	p := pluginX(t, `plugin "x" {
  builtin = "dns"
  config {
    retries = "3"
    verbose = "true"
    port    = 53
  }
}
`, LoadOptions{})
	schema := []sdk.Attribute{
		{Name: "retries", Type: sdk.Number},
		{Name: "verbose", Type: sdk.Bool},
		{Name: "port", Type: sdk.String},
	}
	got, diags := DecodePluginConfig(p.Config, p.Range, schema)
	if want := `{"port":"53","retries":3,"verbose":true}`; string(got) != want || diags.HasErrors() {
		t.Errorf("config = %s, %s; want %s", got, renderDiags(diags), want)
	}
}

func TestDecodePluginConfigErrors(t *testing.T) {
	servers := []sdk.Attribute{{Name: "servers", Type: sdk.List(sdk.String), Required: true}}
	tests := []struct {
		name   string
		src    string
		schema []sdk.Attribute
		want   string
		json   string // the JSON returned along with the errors
	}{
		{name: "unsupported argument", schema: servers, src: `plugin "x" {
  builtin = "dns"
  config {
    servers = ["127.0.0.1:53"]
    server  = "127.0.0.1:53"
  }
}
`, want: `plugins.hcl:5:5: Unsupported argument; An argument named "server" is not expected here.`},
		{name: "missing required", schema: servers, src: `plugin "x" {
  builtin = "dns"
  config {
  }
}
`, want: `plugins.hcl:3:10: Missing required argument; The argument "servers" is required, but no definition was found.`},
		{name: "missing required without config block", schema: servers, src: `plugin "x" {
  builtin = "dns"
}
`, want: `plugins.hcl:1:1: Missing required argument; The argument "servers" is required, but no definition was found.`,
			json: "{}"},
		{name: "wrong type", schema: servers, src: `plugin "x" {
  builtin = "dns"
  config {
    servers = 5
  }
}
`, want: `plugins.hcl:4:15: Incorrect attribute value type; Inappropriate value for attribute "servers": list of string required, but have number.`},
		{name: "wrong element type", schema: []sdk.Attribute{{Name: "hosts", Type: sdk.Map(sdk.List(sdk.String))}}, src: `plugin "x" {
  builtin = "dns"
  config {
    hosts = { a = "127.0.0.1" }
  }
}
`, want: `plugins.hcl:4:13: Incorrect attribute value type; Inappropriate value for attribute "hosts": element "a": list of string required, but have string.`},
		{name: "config for a plugin without schema", schema: nil, src: `plugin "x" {
  builtin = "dns"
  config {
    servers = []
  }
}
`, want: `plugins.hcl:4:5: Unsupported argument; An argument named "servers" is not expected here.`},
		{name: "bad schema", schema: []sdk.Attribute{{Name: "servers"}, {Name: "", Type: sdk.Bool}}, src: `plugin "x" {
  builtin = "dns"
}
`, want: `Invalid plugin schema; attribute "servers": sdk: zero Type.` + "\n" +
			`Invalid plugin schema; attribute "": the name is empty or declared twice.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pluginX(t, tt.src, LoadOptions{})
			got, diags := DecodePluginConfig(p.Config, p.Range, tt.schema)
			if rendered := renderDiags(diags); rendered != tt.want {
				t.Errorf("diagnostics:\n got %s\nwant %s", rendered, tt.want)
			}
			if string(got) != tt.json {
				t.Errorf("JSON = %q, want %q", got, tt.json)
			}
		})
	}
}

func TestDecodePluginConfigNilBody(t *testing.T) {
	got, diags := DecodePluginConfig(nil, hcl.Range{}, []sdk.Attribute{{Name: "servers", Type: sdk.List(sdk.String)}})
	if string(got) != "{}" || len(diags) != 0 {
		t.Errorf("DecodePluginConfig(nil) = %s, %s", got, renderDiags(diags))
	}
}

func TestCtyType(t *testing.T) {
	tests := []struct {
		in   sdk.Type
		want cty.Type
	}{
		{sdk.String, cty.String},
		{sdk.Number, cty.Number},
		{sdk.Bool, cty.Bool},
		{sdk.List(sdk.String), cty.List(cty.String)},
		{sdk.Map(sdk.String), cty.Map(cty.String)},
		{sdk.Map(sdk.List(sdk.String)), cty.Map(cty.List(cty.String))},
		{sdk.Int, cty.Number}, // checked to be whole after decoding
		{sdk.Map(sdk.List(sdk.Int)), cty.Map(cty.List(cty.Number))},
	}
	for _, tt := range tests {
		got, err := CtyType(tt.in)
		if err != nil || !got.Equals(tt.want) {
			t.Errorf("CtyType(%s) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	if _, err := CtyType(sdk.Type{}); err == nil {
		t.Error("CtyType(zero Type) succeeded")
	}
}

func TestAttributeRange(t *testing.T) {
	p := pluginX(t, pluginConfigSource, LoadOptions{})
	tests := []struct {
		attribute string
		want      string // "" for nil
	}{
		{"servers", "plugins.hcl:10:15"},
		{"servers[0]", "plugins.hcl:10:16"},
		{"servers[1]", "plugins.hcl:10:28"},
		{"servers[7]", "plugins.hcl:10:15"}, // no such element: the attribute
		{`labels["team name"]`, "plugins.hcl:11:45"},
		{"labels.env", "plugins.hcl:11:23"},
		{`hosts["www.probe.test"][1]`, "plugins.hcl:12:50"},
		{"name", "plugins.hcl:6:15"},
		{"name[", "plugins.hcl:6:15"}, // does not parse: the attribute
		{"missing", ""},
	}
	for _, tt := range tests {
		got := ""
		if r := AttributeRange(p.Config, tt.attribute); r != nil {
			got = position(*r)
		}
		if got != tt.want {
			t.Errorf("AttributeRange(%q) = %q, want %q", tt.attribute, got, tt.want)
		}
	}
	if r := AttributeRange(nil, "servers"); r != nil {
		t.Errorf("AttributeRange(nil body) = %v", r)
	}
}

func TestAttributeRangeVariable(t *testing.T) {
	p := pluginX(t, `variable "list" {
  default = ["a", "b"]
}
plugin "x" {
  builtin = "dns"
  config {
    servers = var.list
  }
}
`, LoadOptions{})
	r := AttributeRange(p.Config, "servers[1]")
	if r == nil || position(*r) != "plugins.hcl:7:15" {
		t.Errorf("AttributeRange(servers[1]) = %v, want the attribute's value at plugins.hcl:7:15", r)
	}
}

func TestAttributeRangeJSON(t *testing.T) {
	src := `{
  "plugin": {
    "x": {
      "builtin": "dns",
      "config": {
        "servers": ["127.0.0.1:53", "[::1]:53"]
      }
    }
  }
}
`
	file, diags := NewLoader().LoadSource("plugins.hcl.json", []byte(src), LoadOptions{Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	r := AttributeRange(file.Plugins[0].Config, "servers[1]")
	if r == nil || position(*r) != "plugins.hcl.json:6:37" {
		t.Errorf("AttributeRange(servers[1]) = %v, want plugins.hcl.json:6:37", r)
	}
}
