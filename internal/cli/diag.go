//go:build linux

package cli

import (
	"context"
	"os"
	"runtime"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/core/config"
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
//
// An external plugin whose executable is missing is reported at its path
// and not started; the others still start, so that one run reports every
// problem.
func (g *globals) startSession(ctx context.Context, s *source, p *plan.Plan, defaults map[string]map[string]any) (*pluginSet, error) {
	diags, startable := checkPluginPaths(s.file, p)
	host := g.hostOptions()
	host.Procs = pluginhost.ProcsFor(concurrencyOf(p))
	rs, err := session.Start(ctx, startable.Plugins, session.StartOptions{Host: host})
	out := &pluginSet{Session: rs}
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot start plugins", Detail: err.Error()})
	} else {
		phases := make([]string, len(startable.Plugins))
		for i, pl := range startable.Plugins {
			phases[i] = pl.Name
		}
		var more hcl.Diagnostics
		out.applied, more = s.file.ConfigurePlugins(ctx, rs, phases, defaults)
		diags = append(diags, more...)
	}
	if !diags.HasErrors() {
		return out, nil
	}
	if ctx.Err() != nil {
		return out, exit(ExitInterrupted, "interrupted while starting plugins")
	}
	_ = s.loader.WriteDiagnostics(g.stderr, diags, g.colorErr)
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

// concurrencyOf is how many of p's probes run at once.
func concurrencyOf(p *plan.Plan) int {
	if p.Run.Sequential || len(p.Targets) == 1 {
		return 1
	}
	return p.Run.Concurrency
}

// oneProcForSequentialRuns runs this process on one P while it probes one
// target at a time (unless GOMAXPROCS is set), as its plugins do
// (pluginhost.ProcsFor), and returns what restores the setting. With
// more, every wake-up for a plugin's answer readied goroutines while other
// Ps were idle, and the runtime woke spinning threads to steal them: at
// concurrency 1 one P gave 20% more probes per second (BENCHMARKS.md); the
// in-process baseline did not change.
func oneProcForSequentialRuns(p *plan.Plan) (restore func()) {
	if _, set := os.LookupEnv("GOMAXPROCS"); set || concurrencyOf(p) > 1 {
		return func() {}
	}
	prev := runtime.GOMAXPROCS(1)
	return func() { runtime.GOMAXPROCS(prev) }
}

// checkPluginPaths checks the executables of p's external plugins
// (config.Plugin.CheckPath) and returns the problems and a plan without
// the plugins that cannot start.
func checkPluginPaths(f *config.File, p *plan.Plan) (hcl.Diagnostics, *plan.Plan) {
	var diags hcl.Diagnostics
	startable := *p
	startable.Plugins = nil
	for _, pl := range p.Plugins {
		i := slices.IndexFunc(f.Plugins, func(c config.Plugin) bool { return c.Name == pl.Name })
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
