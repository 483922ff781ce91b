// Package plan turns a loaded targets file into what a run executes: each
// target with its chain of phases, and the plugin serving each phase. A plan
// is plain data: building one starts nothing, and nothing in this package
// knows how plugins are started or called.
package plan

import (
	"net/netip"
	"slices"
	"time"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/plugins/registry"
	"github.com/probe-net/probe/sdk"
)

// ResolvePhase is the chain slot that turns a name into addresses. It is
// skipped for targets whose host is an IP literal.
const ResolvePhase = registry.ResolvePhase

// Target is one target and its chain. Target.Host is the host as it goes
// on the wire (A-labels for an internationalised name).
type Target struct {
	sdk.Target
	// Timeout is the budget of one whole probe (all its phases).
	Timeout time.Duration
	// Phases are the chain's slots in order, e.g. dns, tcp, tls, http.
	Phases []string
	// Literal is the host parsed as an IP address; valid only when the host
	// is an IP literal.
	Literal netip.Addr
}

// Plugin says which plugin serves one phase slot.
type Plugin struct {
	// Name is the phase slot, as used in targets' chains.
	Name string
	// Builtin names the built-in plugin serving the slot when Path is
	// empty; it defaults to Name.
	Builtin string
	// Path is an external plugin executable; empty for a built-in.
	Path string
	// Args are extra arguments for Path.
	Args []string
	// SHA256 pins Path's executable (lower-case hex), or "".
	SHA256 string
	// Env and PassEnv add to the plugin's minimal environment: variables
	// to set, and names of probe's own to pass on (config.Plugin).
	Env     map[string]string
	PassEnv []string
	// Where is the plugin block in the targets file, as file:line:col
	// (its path attribute's position when it has one), for messages; ""
	// for a built-in no block names.
	Where string
}

// Run says how many rounds to probe and how.
type Run = config.Run

// Plan is what a run executes.
type Plan struct {
	Run     Run
	Targets []Target
	Plugins []Plugin // one per phase used by some target, in first-use order
}

// Build makes the plan for f. The loader has validated f: every phase a
// target names is a built-in or a declared plugin.
func Build(f *config.File) *Plan {
	p := &Plan{Run: f.Run}
	declared := map[string]config.Plugin{}
	for _, pl := range f.Plugins {
		declared[pl.Name] = pl
	}
	used := map[string]bool{}
	for _, t := range f.Targets {
		p.Targets = append(p.Targets, target(t))
		for _, name := range t.Phases {
			if used[name] {
				continue
			}
			used[name] = true
			p.Plugins = append(p.Plugins, plugin(name, declared))
		}
	}
	return p
}

// BuildAll is Build plus a plugin for every plugin block no target uses,
// after the used ones: what `probe validate` starts, so that an unused
// block's path and config are checked too.
func BuildAll(f *config.File) *Plan {
	p := Build(f)
	declared := map[string]config.Plugin{}
	for _, pl := range f.Plugins {
		declared[pl.Name] = pl
	}
	for _, pl := range f.Plugins {
		if !slices.ContainsFunc(p.Plugins, func(u Plugin) bool { return u.Name == pl.Name }) {
			p.Plugins = append(p.Plugins, plugin(pl.Name, declared))
		}
	}
	return p
}

func target(t config.Target) Target {
	out := Target{
		Target:  sdk.Target{Name: t.Name, Host: t.Host, Port: t.Port, Protocol: t.Protocol},
		Timeout: t.Timeout,
		Phases:  append([]string(nil), t.Phases...),
	}
	if a, err := netip.ParseAddr(t.Host); err == nil {
		out.Literal = a.Unmap()
	}
	return out
}

func plugin(name string, declared map[string]config.Plugin) Plugin {
	pl, ok := declared[name]
	if !ok {
		return Plugin{Name: name, Builtin: name}
	}
	out := Plugin{Name: name, Builtin: pl.Builtin, Path: pl.Path, Args: pl.Args,
		SHA256: pl.SHA256, Env: pl.Env, PassEnv: pl.PassEnv, Where: pl.Where()}
	if out.Path == "" && out.Builtin == "" {
		out.Builtin = name
	}
	return out
}

// Runs returns the phases a probe of t calls: its chain without the
// resolve phase when the host is an IP literal (that step is skipped).
func (t Target) Runs() []string {
	if !t.Literal.IsValid() {
		return t.Phases
	}
	return slices.DeleteFunc(slices.Clone(t.Phases), func(p string) bool { return p == ResolvePhase })
}

// Needed returns the plugins some target will call: all of p.Plugins but
// the resolve phase's when every target that names it has an IP literal
// host, whose resolve step is skipped. A run starts only these: a plugin
// process nobody calls costs a process start (about 10 ms of CPU for the
// re-executed probe binary) and nothing else.
func (p *Plan) Needed() []Plugin {
	resolves := false
	for _, t := range p.Targets {
		if slices.Contains(t.Runs(), ResolvePhase) {
			resolves = true
			break
		}
	}
	if resolves {
		return p.Plugins
	}
	return slices.DeleteFunc(slices.Clone(p.Plugins), func(pl Plugin) bool { return pl.Name == ResolvePhase })
}

// TargetNames lists the targets' names in order.
func (p *Plan) TargetNames() []string {
	out := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = t.Name
	}
	return out
}
