package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/probe-net/probe/sdk"
)

// intSchema is the schema the testdata/bad_plugin_config files are decoded
// against: every integer shape sdk.Int can take.
var intSchema = []sdk.Attribute{
	{Name: "retries", Type: sdk.Int},
	{Name: "ports", Type: sdk.List(sdk.Int)},
	{Name: "limits", Type: sdk.Map(sdk.Int)},
}

var badPluginConfigs = []struct {
	file, want string
}{
	{"int_fraction.hcl",
		`testdata/bad_plugin_config/int_fraction.hcl:4:15: Incorrect attribute value type; Inappropriate value for attribute "retries": a whole number is required, but have 1.5.`},
	{"int_list_element.hcl",
		`testdata/bad_plugin_config/int_list_element.hcl:4:18: Incorrect attribute value type; Inappropriate value for attribute "ports": element 1: a whole number is required, but have 443.5.`},
	{"int_map_value.hcl",
		`testdata/bad_plugin_config/int_map_value.hcl:6:20: Incorrect attribute value type; Inappropriate value for attribute "limits": element "per host": a whole number is required, but have 0.25.`},
	{"int_out_of_range.hcl",
		`testdata/bad_plugin_config/int_out_of_range.hcl:4:15: Incorrect attribute value type; Inappropriate value for attribute "retries": a whole number from -9223372036854775808 to 9223372036854775807 is required, but have 1e+30.`},
	{"int_string.hcl", // HCL converts "2.5" to a number first
		`testdata/bad_plugin_config/int_string.hcl:4:15: Incorrect attribute value type; Inappropriate value for attribute "retries": a whole number is required, but have 2.5.`},
	{"int_from_variable.hcl", // the element is not written here: the attribute's value
		`testdata/bad_plugin_config/int_from_variable.hcl:8:13: Incorrect attribute value type; Inappropriate value for attribute "ports": element 1: a whole number is required, but have 8.5.`},
	{"int_several.hcl", // every problem, in schema order
		`testdata/bad_plugin_config/int_several.hcl:4:15: Incorrect attribute value type; Inappropriate value for attribute "retries": a whole number is required, but have -0.5.` + "\n" +
			`testdata/bad_plugin_config/int_several.hcl:5:16: Incorrect attribute value type; Inappropriate value for attribute "ports": element 0: a whole number is required, but have 1.25.` + "\n" +
			`testdata/bad_plugin_config/int_several.hcl:5:25: Incorrect attribute value type; Inappropriate value for attribute "ports": element 2: a whole number is required, but have 3.75.`},
}

func TestDecodePluginConfigRejectsNonIntegers(t *testing.T) {
	for _, tt := range badPluginConfigs {
		t.Run(tt.file, func(t *testing.T) {
			file, diags := NewLoader().Load(filepath.Join("testdata/bad_plugin_config", tt.file), LoadOptions{Getenv: func(string) string { return "" }})
			if diags.HasErrors() {
				t.Fatalf("Load: %s", renderDiags(diags))
			}
			p := file.Plugins[0]
			got, diags := DecodePluginConfig(p.Config, p.Range, intSchema)
			if rendered := renderDiags(diags); rendered != tt.want {
				t.Errorf("diagnostics:\n got %s\nwant %s", rendered, tt.want)
			}
			if got != nil {
				t.Errorf("JSON = %s along with errors", got)
			}
		})
	}
}

func TestEveryBadPluginConfigFixtureIsTested(t *testing.T) {
	entries, err := os.ReadDir("testdata/bad_plugin_config")
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, tt := range badPluginConfigs {
		tested[tt.file] = true
	}
	for _, e := range entries {
		if !tested[e.Name()] {
			t.Errorf("testdata/bad_plugin_config/%s has no case in badPluginConfigs", e.Name())
		}
	}
}

func TestDecodePluginConfigAcceptsIntegers(t *testing.T) {
	p := pluginX(t, `plugin "x" {
  builtin = "dns"
  config {
    retries = "3"
    ports   = [80, 4.43e2, -1]
    limits  = { a = 9223372036854775807, b = -9223372036854775808 }
  }
}
`, LoadOptions{})
	got, diags := DecodePluginConfig(p.Config, p.Range, intSchema)
	want := `{"limits":{"a":9223372036854775807,"b":-9223372036854775808},"ports":[80,443,-1],"retries":3}`
	if string(got) != want || diags.HasErrors() {
		t.Errorf("config = %s, %s; want %s", got, renderDiags(diags), want)
	}
	var cfg struct {
		Retries int              `json:"retries"`
		Ports   []int            `json:"ports"`
		Limits  map[string]int64 `json:"limits"`
	}
	if err := sdk.NewConfig(got).Decode(&cfg); err != nil || cfg.Limits["b"] != -1<<63 || cfg.Ports[1] != 443 {
		t.Errorf("decoded by the plugin: %+v, %v", cfg, err)
	}
}
