//go:build linux

package cli

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/core/runner"
)

// startSession starts and configures p's plugins. Problems are printed
// against the targets file; the error carries the exit code: 2 when they
// point into the file, 3 when probe itself could not run. The caller closes
// the session in every case.
func (g *globals) startSession(ctx context.Context, s *source, p *plan.Plan, defaults map[string]map[string]any) (*runner.Session, error) {
	session, diags := runner.Start(ctx, p, runner.StartOptions{
		Host:           pluginhost.Options{Logger: g.logger()},
		ConfigDefaults: defaults,
	})
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
