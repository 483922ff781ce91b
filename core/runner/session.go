//go:build linux

// Package runner executes a plan: it starts one plugin process per phase,
// hands each its config, then probes every target for every round and
// emits one sample per probe. It computes no statistics and prints nothing.
package runner

import (
	"context"
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
	host    *pluginhost.Host
	plugins map[string]*pluginhost.Plugin
	order   []*pluginhost.Plugin
}

// Start starts the plan's plugins concurrently and configures them. Problems
// come back as diagnostics: config errors carry the position in the targets
// file. The caller must Close the session whatever Start returns.
func Start(ctx context.Context, p *plan.Plan, opts pluginhost.Options) (*Session, hcl.Diagnostics) {
	host, err := pluginhost.New(opts)
	if err != nil {
		return nil, hcl.Diagnostics{errorDiag("Cannot start plugins", err.Error(), nil)}
	}
	s := &Session{host: host, plugins: map[string]*pluginhost.Plugin{}}
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
		diags = append(diags, configure(ctx, started[i], pl)...)
	}
	return s, diags
}

// configure decodes a plugin's config block against the schema the plugin
// declared, sends it, and maps what the plugin rejects back to the file.
func configure(ctx context.Context, proc *pluginhost.Plugin, pl plan.Plugin) hcl.Diagnostics {
	desc := proc.Description()
	configJSON, diags := config.DecodePluginConfig(pl.Config, pl.Range, desc.Config)
	if diags.HasErrors() {
		return diags
	}
	problems, err := proc.Configure(ctx, configJSON)
	if err != nil {
		return hcl.Diagnostics{errorDiag("Cannot configure plugin",
			fmt.Sprintf("plugin %q: %v", pl.Spec.Name, err), &pl.Range)}
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
	return diags
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
func (s *Session) Plugin(phase string) string {
	p, ok := s.plugins[phase]
	if !ok {
		return ""
	}
	d := p.Description()
	return d.Name + " " + d.Version
}

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
