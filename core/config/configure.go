package config

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/sdk"
)

// PluginBlock returns the config body of the plugin serving phase (nil when
// the file gives none) and the range to blame for its problems: the plugin
// block, or the first target using the phase when there is no block.
func (f *File) PluginBlock(phase string) (hcl.Body, hcl.Range) {
	for _, p := range f.Plugins {
		if p.Name == phase {
			return p.Config, p.Range
		}
	}
	for _, t := range f.Targets {
		for _, name := range t.Phases {
			if name == phase {
				return nil, t.Range
			}
		}
	}
	return nil, hcl.Range{}
}

// PluginConfig decodes the config of the plugin serving phase against the
// schema the plugin declared, then fills the attributes the file leaves
// unset (absent or null) with defaults the schema declares: attribute name →
// JSON-compatible value. It returns the config as a JSON object and the
// defaults it applied. Diagnostics point into the file.
func (f *File) PluginConfig(phase string, schema []sdk.Attribute, defaults map[string]any) ([]byte, map[string]any, hcl.Diagnostics) {
	body, rng := f.PluginBlock(phase)
	configJSON, diags := DecodePluginConfig(body, rng, schema)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	configJSON, applied, err := applyDefaults(configJSON, schema, defaults)
	if err != nil {
		return nil, nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot configure plugin",
			Detail: fmt.Sprintf("plugin %q: %v", phase, err), Subject: &rng}}
	}
	return configJSON, applied, nil
}

// applyDefaults fills attributes that are unset in a config object with
// defaults the schema declares; it returns what it applied.
func applyDefaults(configJSON []byte, schema []sdk.Attribute, defaults map[string]any) ([]byte, map[string]any, error) {
	if len(defaults) == 0 {
		return configJSON, nil, nil
	}
	obj := map[string]any{}
	if err := json.Unmarshal(configJSON, &obj); err != nil {
		return nil, nil, err
	}
	applied := map[string]any{}
	for _, a := range schema {
		v, ok := defaults[a.Name]
		if ok && obj[a.Name] == nil {
			obj[a.Name] = v
			applied[a.Name] = v
		}
	}
	out, err := json.Marshal(obj)
	return out, applied, err
}

// RejectedConfig turns what a plugin rejected in its config into
// diagnostics, each at the attribute's position when the file has it.
func (f *File) RejectedConfig(phase string, problems []*sdk.AttributeError) hcl.Diagnostics {
	body, rng := f.PluginBlock(phase)
	var diags hcl.Diagnostics
	for _, pr := range problems {
		subject := &rng
		if body != nil && pr.Attribute != "" {
			if r := AttributeRange(body, pr.Attribute); r != nil {
				subject = r
			}
		}
		detail := pr.Err.Error()
		if pr.Attribute != "" {
			detail = pr.Attribute + ": " + detail
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid plugin config",
			Detail: fmt.Sprintf("plugin %q rejected its config: %s", phase, detail), Subject: subject})
	}
	return diags
}

// Configurer is what configures running plugins: session.Session (core/session) implements
// it. Configure returns the problems the plugin rejected (nil when it
// accepted the config); its error is for a call that failed.
type Configurer interface {
	Describe(phase string) sdk.Description
	Configure(ctx context.Context, phase string, configJSON []byte) ([]*sdk.AttributeError, error)
}

// ConfigurePlugins decodes and sends each phase's plugin config, in order.
// defaults maps phase → attribute → value for attributes the file leaves
// unset (see PluginConfig). It returns the defaults applied per phase.
// Diagnostics about the file carry its positions; a call that failed (the
// plugin hung or crashed) is a diagnostic without one.
func (f *File) ConfigurePlugins(ctx context.Context, c Configurer, phases []string, defaults map[string]map[string]any) (map[string]map[string]any, hcl.Diagnostics) {
	applied := map[string]map[string]any{}
	var diags hcl.Diagnostics
	for _, phase := range phases {
		configJSON, a, d := f.PluginConfig(phase, c.Describe(phase).Schema, defaults[phase])
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		applied[phase] = a
		problems, err := c.Configure(ctx, phase, configJSON)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot configure plugin",
				Detail: fmt.Sprintf("plugin %q: %v", phase, err)})
			continue
		}
		diags = append(diags, f.RejectedConfig(phase, problems)...)
	}
	return applied, diags
}
