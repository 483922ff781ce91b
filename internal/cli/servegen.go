//go:build linux

package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/core/scheduler"
	"github.com/probe-net/probe/core/surfacer"
	"github.com/probe-net/probe/plugins/registry"
)

// generation is one loaded targets file with its plugins running: what
// serve probes until the next successful reload replaces it.
type generation struct {
	file    *config.File
	plan    *plan.Plan
	cold    *pluginSet
	warm    *pluginSet // nil when no target is probed warm
	probers []*runner.Prober
	oneShot *runner.Prober // /probe: cold, never reuses, apart from the schedule
	jobs    []scheduler.Job

	users sync.WaitGroup // /probe requests using the plugins
}

// loadGeneration loads path and starts and configures its plugins (a cold
// session, and a warm one when the serve block warms any target).
// Diagnostics go to g.stderr; the error carries the exit code.
func loadGeneration(ctx context.Context, g *globals, src *sourceFlags, path string) (*generation, error) {
	s, err := src.load(g, path)
	if err != nil {
		return nil, err
	}
	gen := &generation{file: s.file, plan: plan.Build(s.file)}
	gen.cold, err = g.startSession(ctx, s, gen.plan, nil)
	if err != nil {
		gen.close()
		return nil, err
	}
	cold := runner.NewProber(gen.cold, runner.Options{})
	gen.oneShot = runner.NewProber(gen.cold, runner.Options{})
	gen.probers = append(gen.probers, cold, gen.oneShot)
	for _, t := range gen.plan.Targets {
		gen.jobs = append(gen.jobs, scheduler.Job{Target: t, Mode: surfacer.Cold, Prober: cold})
	}
	if warmPlan := gen.warmPlan(); warmPlan != nil {
		gen.warm, err = g.startSession(ctx, s, warmPlan, registry.WarmDefaults(true))
		if err != nil {
			gen.close()
			return nil, err
		}
		warm := runner.NewProber(gen.warm, runner.Options{Reuse: true})
		gen.probers = append(gen.probers, warm)
		for _, t := range warmPlan.Targets {
			gen.jobs = append(gen.jobs, scheduler.Job{Target: t, Mode: surfacer.Warm, Prober: warm})
		}
	}
	return gen, nil
}

// warmPlan is the plan of the targets probed warm, or nil when none is.
func (gen *generation) warmPlan() *plan.Plan {
	sub := *gen.file
	sub.Targets = nil
	for _, t := range gen.file.Targets {
		if gen.file.Serve.IsWarm(t.Name) {
			sub.Targets = append(sub.Targets, t)
		}
	}
	if len(sub.Targets) == 0 {
		return nil
	}
	return plan.Build(&sub)
}

// close stops the plugins once no /probe request uses them.
func (gen *generation) close() {
	gen.users.Wait()
	for _, p := range gen.probers {
		p.Close()
	}
	for _, s := range []*pluginSet{gen.cold, gen.warm} {
		if s != nil && s.Session != nil {
			s.Close()
		}
	}
}

// target finds a target of the file by name.
func (gen *generation) target(name string) (plan.Target, bool) {
	for _, t := range gen.plan.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return plan.Target{}, false
}

// serves reports whether the cold session runs a plugin for every phase
// of t.
func (gen *generation) serves(t plan.Target) error {
	for _, ph := range t.Phases {
		if gen.cold.Plugin(ph) == "" {
			return fmt.Errorf("phase %q has no plugin running: no target in the file uses it", ph)
		}
	}
	return nil
}

// modes lists the modes target is probed in.
func (gen *generation) modes(target string) []string {
	if gen.file.Serve.IsWarm(target) {
		return []string{surfacer.Cold, surfacer.Warm}
	}
	return []string{surfacer.Cold}
}

// keys lists every (target, mode) probed, for surfacer.Retain.
func (gen *generation) keys() []surfacer.Key {
	out := make([]surfacer.Key, len(gen.jobs))
	for i, j := range gen.jobs {
		out[i] = surfacer.Key{Target: j.Target.Name, Mode: j.Mode}
	}
	return out
}

// scheduled lists every (target, mode) probed with its chain, for
// surfacer.Schedule.
func (gen *generation) scheduled() []surfacer.Scheduled {
	out := make([]surfacer.Scheduled, len(gen.jobs))
	for i, j := range gen.jobs {
		out[i] = surfacer.Scheduled{Key: surfacer.Key{Target: j.Target.Name, Mode: j.Mode}, Phases: j.Target.Runs()}
	}
	return out
}

// inventoryTargets describes the targets for probe_target_info.
func (gen *generation) inventoryTargets() []surfacer.Target {
	out := make([]surfacer.Target, 0, len(gen.plan.Targets))
	for _, t := range gen.plan.Targets {
		out = append(out, surfacer.Target{Name: t.Name, Host: t.Host, Port: t.Port, Protocol: t.Protocol,
			Phases: t.Runs(), Modes: gen.modes(t.Name)})
	}
	return out
}

// plugins describes the running plugin processes (called at each scrape).
func (gen *generation) plugins() []surfacer.Plugin {
	var out []surfacer.Plugin
	for _, m := range []struct {
		mode string
		s    *pluginSet
	}{{surfacer.Cold, gen.cold}, {surfacer.Warm, gen.warm}} {
		if m.s == nil {
			continue
		}
		for _, in := range m.s.Plugins() {
			out = append(out, surfacer.Plugin{Mode: m.mode, Phase: in.Phase, Name: in.Description.Name,
				Version: in.Description.Version, Source: pluginSource(in), Restarts: in.Restarts})
		}
	}
	return out
}

// loadQuietly loads path as loadGeneration does, but collects what that
// would print (the file's diagnostics with their source lines) into the
// error, which keeps the exit code: serve logs it, and /-/reload answers
// with it.
func loadQuietly(ctx context.Context, g *globals, src *sourceFlags, path string) (*generation, error) {
	var buf bytes.Buffer
	quiet := *g
	quiet.stderr, quiet.rawStderr, quiet.color, quiet.colorErr = &buf, &buf, false, false
	gen, err := loadGeneration(ctx, &quiet, src, path)
	if err == nil {
		return gen, nil
	}
	msg := strings.TrimSpace(buf.String())
	if e := err.Error(); e != "" {
		msg = strings.TrimSpace(msg + "\n" + e)
	}
	if msg == "" {
		msg = "the targets file could not be loaded"
	}
	code := ExitRuntime
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	return nil, &exitError{code: code, err: errors.New(msg)}
}
