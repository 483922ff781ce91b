//go:build linux

package cli

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/core/session"
)

// pluginSet is a started and configured set of plugins, with the config
// defaults that were applied to each phase's plugin (a subset of what was
// asked for: only attributes the plugin declares).
type pluginSet struct {
	*session.Session
	applied map[string]map[string]any
}

// startSession starts p's plugins and configures them from the targets
// file. Problems are printed against the file; the error carries the exit
// code: 2 when they point into the file, 3 when probe itself could not run.
// The caller closes the session in every case.
func (g *globals) startSession(ctx context.Context, s *source, p *plan.Plan, defaults map[string]map[string]any) (*pluginSet, error) {
	concurrency := p.Run.Concurrency
	if p.Run.Sequential || len(p.Targets) == 1 {
		concurrency = 1
	}
	host := g.hostOptions()
	host.Procs = pluginhost.ProcsFor(concurrency)
	rs, err := session.Start(ctx, p.Plugins, session.StartOptions{Host: host})
	out := &pluginSet{Session: rs}
	var diags hcl.Diagnostics
	if err != nil {
		diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot start plugins", Detail: err.Error()}}
	} else {
		phases := make([]string, len(p.Plugins))
		for i, pl := range p.Plugins {
			phases[i] = pl.Name
		}
		out.applied, diags = s.file.ConfigurePlugins(ctx, rs, phases, defaults)
	}
	if !diags.HasErrors() {
		return out, nil
	}
	if ctx.Err() != nil {
		return out, exit(ExitInterrupted, "interrupted while starting plugins")
	}
	_ = s.loader.WriteDiagnostics(g.stderr, diags, g.color)
	if hasSubject(diags) {
		return out, exit(ExitUsage, "")
	}
	return out, exit(ExitRuntime, "")
}

// hasSubject reports whether any error points into the targets file, which
// makes it a config error rather than a runtime one.
func hasSubject(diags hcl.Diagnostics) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil {
			return true
		}
	}
	return false
}
