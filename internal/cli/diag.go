//go:build linux

package cli

import (
	"context"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/core/runner"
)

// startSession starts and configures p's plugins. Problems are printed
// against the targets file; the error carries the exit code: 2 when they
// point into the file, 3 when probe itself could not run. The caller closes
// the session in every case.
//
// An external plugin whose executable is missing is reported at its path
// and not started; the others still start, so that one run reports every
// problem.
func (g *globals) startSession(ctx context.Context, s *source, p *plan.Plan, defaults map[string]map[string]any) (*runner.Session, error) {
	pathDiags, startable := checkPluginPaths(s.file, p)
	session, diags := runner.Start(ctx, startable, runner.StartOptions{
		Host:           pluginhost.Options{Logger: g.logger()},
		ConfigDefaults: defaults,
	})
	diags = append(pathDiags, diags...)
	if !diags.HasErrors() {
		return session, nil
	}
	if ctx.Err() != nil {
		return session, exit(ExitInterrupted, "interrupted while starting plugins")
	}
	_ = s.loader.WriteDiagnostics(g.stderr, diags, g.colorErr)
	if hasSubject(diags) {
		return session, exit(ExitUsage, "")
	}
	return session, exit(ExitRuntime, "")
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

// checkPluginPaths checks the executables of p's external plugins
// (config.Plugin.CheckPath) and returns the problems and a plan without
// the plugins that cannot start.
func checkPluginPaths(f *config.File, p *plan.Plan) (hcl.Diagnostics, *plan.Plan) {
	var diags hcl.Diagnostics
	startable := *p
	startable.Plugins = nil
	for _, pl := range p.Plugins {
		i := slices.IndexFunc(f.Plugins, func(c config.Plugin) bool { return c.Name == pl.Spec.Name })
		if i >= 0 {
			if d := f.Plugins[i].CheckPath(); d != nil {
				diags = append(diags, d)
				continue
			}
		}
		startable.Plugins = append(startable.Plugins, pl)
	}
	return diags, &startable
}
