// Package plan turns a loaded targets file into what a run executes: each
// target with its chain of phases, and the plugin process serving each
// phase. Building a plan starts nothing.
package plan

import (
	"net/netip"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/sdk"
)

// ResolvePhase is the chain slot that turns a name into addresses. It is
// skipped for targets whose host is an IP literal.
const ResolvePhase = "dns"

// Target is one target and its chain. Target.Host is the host as it goes
// on the wire (A-labels for an internationalised name).
type Target struct {
	sdk.Target
	// Written is the host as written, when it differs from Host (an
	// internationalised name); "" otherwise.
	Written string
	Timeout time.Duration
	Phases  []string
	// Literal is the host parsed as an IP address; valid only when the host
	// is an IP literal.
	Literal netip.Addr
}

// DisplayHost is the host for people: as written, followed by its A-label
// form when that differs ("bücher.example (xn--bcher-kva.example)").
func (t Target) DisplayHost() string {
	if t.Written == "" || t.Written == t.Host {
		return t.Host
	}
	return t.Written + " (" + t.Host + ")"
}

// WrittenHost is the host as written.
func (t Target) WrittenHost() string {
	if t.Written == "" {
		return t.Host
	}
	return t.Written
}

// Plugin is one phase's plugin and its still-undecoded config.
type Plugin struct {
	Spec   pluginhost.Spec
	Config hcl.Body  // nil when the file gives none
	Range  hcl.Range // where the plugin is declared (or the first target using it)
}

// Plan is what a run executes.
type Plan struct {
	Run     config.Run
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
			p.Plugins = append(p.Plugins, plugin(name, declared, t.Range))
		}
	}
	return p
}

func target(t config.Target) Target {
	out := Target{
		Target:  sdk.Target{Name: t.Name, Host: t.Host, Port: t.Port, Protocol: t.Protocol},
		Written: t.Written,
		Timeout: t.Timeout,
		Phases:  append([]string(nil), t.Phases...),
	}
	if a, err := netip.ParseAddr(t.Host); err == nil {
		out.Literal = a.Unmap()
	}
	return out
}

func plugin(name string, declared map[string]config.Plugin, firstUse hcl.Range) Plugin {
	pl, ok := declared[name]
	if !ok {
		return Plugin{Spec: pluginhost.Spec{Name: name, Builtin: name}, Range: firstUse}
	}
	spec := pluginhost.Spec{Name: name, Builtin: pl.Builtin, Path: pl.Path, Args: pl.Args}
	if spec.Path == "" && spec.Builtin == "" {
		spec.Builtin = name
	}
	return Plugin{Spec: spec, Config: pl.Config, Range: pl.Range}
}

// TargetNames lists the targets' names in order.
func (p *Plan) TargetNames() []string {
	out := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = t.Name
	}
	return out
}
