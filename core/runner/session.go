//go:build linux

// Package runner executes a plan: it starts one plugin process per phase,
// hands each its config, then probes every target for every round and
// emits one sample per probe. It computes no statistics and prints nothing.
package runner

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// Phases runs a phase by name. A Session implements it over plugin
// processes; benchmarks can implement it in-process as a baseline.
type Phases interface {
	Run(ctx context.Context, phase string, call wire.Call) (wire.Reply, error)
	// Plugin names the plugin serving phase, for display ("dns 0.1.0").
	Plugin(phase string) string
}

// Session is the set of configured plugin processes for one run.
type Session struct {
	applied map[string]map[string]any
	names   map[string]string // phase → "name version", for samples
	host    *pluginhost.Host
	plugins map[string]*pluginhost.Plugin
	order   []*pluginhost.Plugin
}

// StartOptions configure Start.
type StartOptions struct {
	Host pluginhost.Options
	// ConfigDefaults sets plugin config attributes the targets file leaves
	// unset: phase name → attribute → JSON-compatible value. An attribute the
	// plugin does not declare is left out, so a replacement plugin without it
	// still starts (see Session.Applied).
	ConfigDefaults map[string]map[string]any
}

// Start starts the plan's plugins concurrently and configures them. Problems
// come back as diagnostics: config errors carry the position in the targets
// file. The caller must Close the session whatever Start returns.
func Start(ctx context.Context, p *plan.Plan, opts StartOptions) (*Session, hcl.Diagnostics) {
	host, err := pluginhost.New(opts.Host)
	if err != nil {
		return nil, hcl.Diagnostics{errorDiag("Cannot start plugins", err.Error(), nil)}
	}
	s := &Session{host: host, plugins: map[string]*pluginhost.Plugin{}, applied: map[string]map[string]any{}, names: map[string]string{}}
	specs := make([]pluginhost.Spec, len(p.Plugins))
	for i, pl := range p.Plugins {
		specs[i] = pl.Spec
	}
	started, err := host.Start(ctx, specs)
	if err != nil {
		return s, hcl.Diagnostics{errorDiag("Cannot start plugins", err.Error(), nil)}
	}
	var diags hcl.Diagnostics
	for i, pl := range p.Plugins {
		s.plugins[pl.Spec.Name] = started[i]
		s.order = append(s.order, started[i])
		desc := started[i].Description()
		s.names[pl.Spec.Name] = desc.Name + " " + desc.Version
		applied, d := configure(ctx, started[i], pl, opts.ConfigDefaults[pl.Spec.Name])
		s.applied[pl.Spec.Name] = applied
		diags = append(diags, d...)
	}
	return s, diags
}

// configure decodes a plugin's config block against the schema the plugin
// declared, sends it, and maps what the plugin rejects back to the file.
func configure(ctx context.Context, proc *pluginhost.Plugin, pl plan.Plugin, defaults map[string]any) (map[string]any, hcl.Diagnostics) {
	desc := proc.Description()
	configJSON, diags := config.DecodePluginConfig(pl.Config, pl.Range, desc.Schema)
	if diags.HasErrors() {
		return nil, diags
	}
	configJSON, applied, err := applyDefaults(configJSON, desc.Schema, defaults)
	if err != nil {
		return nil, hcl.Diagnostics{errorDiag("Cannot configure plugin", fmt.Sprintf("plugin %q: %v", pl.Spec.Name, err), &pl.Range)}
	}
	problems, err := proc.Configure(ctx, configJSON)
	if err != nil {
		// The call failed (the plugin hung or crashed): a runtime problem,
		// not one in the file, so no position.
		return nil, hcl.Diagnostics{errorDiag("Cannot configure plugin",
			fmt.Sprintf("plugin %q: %v", pl.Spec.Name, err), nil)}
	}
	for _, pr := range problems {
		rng := &pl.Range
		if pl.Config != nil && pr.Attribute != "" {
			if r := config.AttributeRange(pl.Config, pr.Attribute); r != nil {
				rng = r
			}
		}
		detail := pr.Err.Error()
		if pr.Attribute != "" {
			detail = pr.Attribute + ": " + detail
		}
		diags = append(diags, errorDiag("Invalid plugin config",
			fmt.Sprintf("plugin %q rejected its config: %s", pl.Spec.Name, detail), rng))
	}
	return applied, diags
}

// applyDefaults fills attributes that are unset (absent or null) in a config
// object with defaults the plugin declares; it returns what it applied.
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

func errorDiag(summary, detail string, rng *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rng}
}

// Run runs one phase on its plugin.
func (s *Session) Run(ctx context.Context, phase string, call wire.Call) (wire.Reply, error) {
	p, ok := s.plugins[phase]
	if !ok {
		return wire.Reply{}, fmt.Errorf("no plugin serves phase %q", phase)
	}
	return p.Run(ctx, call)
}

// Plugin names the plugin serving phase.
func (s *Session) Plugin(phase string) string { return s.names[phase] }

// Applied returns the config defaults that were applied to phase's plugin
// (a subset of StartOptions.ConfigDefaults).
func (s *Session) Applied(phase string) map[string]any { return s.applied[phase] }

// Info describes one running plugin.
type Info struct {
	Phase       string
	Spec        pluginhost.Spec
	Description sdk.Description
	PID         int
	Restarts    int
}

// Plugins describes the session's plugins in plan order.
func (s *Session) Plugins() []Info {
	out := make([]Info, 0, len(s.order))
	for _, p := range s.order {
		out = append(out, Info{Phase: p.Name(), Spec: p.Spec(), Description: p.Description(), PID: p.PID(), Restarts: p.Restarts()})
	}
	return out
}

// Close stops every plugin process and removes their sockets.
func (s *Session) Close() error {
	if s == nil || s.host == nil {
		return nil
	}
	return s.host.Close()
}
