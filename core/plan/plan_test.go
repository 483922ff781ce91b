package plan

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/probe-net/probe/core/config"
)

func names(ps []Plugin) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestRunsSkipsTheResolvePhaseOfALiteral(t *testing.T) {
	literal := Target{Phases: []string{"dns", "tcp", "tls", "http"}, Literal: netip.MustParseAddr("::1")}
	if got := literal.Runs(); !slices.Equal(got, []string{"tcp", "tls", "http"}) {
		t.Errorf("literal: Runs() = %v", got)
	}
	if len(literal.Phases) != 4 {
		t.Error("Runs changed the target's own chain")
	}
	named := Target{Phases: []string{"dns", "tcp"}}
	if got := named.Runs(); !slices.Equal(got, []string{"dns", "tcp"}) {
		t.Errorf("named: Runs() = %v", got)
	}
}

func TestNeededSkipsAResolvePhaseNoTargetRuns(t *testing.T) {
	literal := Target{Phases: []string{"dns", "tcp", "tls", "http"}, Literal: netip.MustParseAddr("127.0.0.1")}
	named := Target{Phases: []string{"dns", "tcp"}}
	plugins := []Plugin{{Name: "dns"}, {Name: "tcp"}, {Name: "tls"}, {Name: "http"}}
	for _, c := range []struct {
		targets []Target
		want    []string
	}{
		{[]Target{literal}, []string{"tcp", "tls", "http"}},
		{[]Target{literal, named}, []string{"dns", "tcp", "tls", "http"}},
		{[]Target{named}, []string{"dns", "tcp", "tls", "http"}},
	} {
		p := &Plan{Targets: c.targets, Plugins: slices.Clone(plugins)}
		if got := names(p.Needed()); !slices.Equal(got, c.want) {
			t.Errorf("Needed() = %v, want %v", got, c.want)
		}
		if len(p.Plugins) != len(plugins) {
			t.Error("Needed changed the plan's own list")
		}
	}
}

func TestBuildAllAddsUnusedPlugins(t *testing.T) {
	f := &config.File{
		Plugins: []config.Plugin{
			{Name: "dns", Builtin: "dns"},
			{Name: "spare", Path: "/bin/spare"},
		},
		Targets: []config.Target{{Name: "a", Host: "a.test", Port: 1, Protocol: "tcp", Phases: []string{"dns", "tcp"}}},
	}
	names := func(p *Plan) (out []string) {
		for _, pl := range p.Plugins {
			out = append(out, pl.Name)
		}
		return out
	}
	if got := names(Build(f)); len(got) != 2 || got[0] != "dns" || got[1] != "tcp" {
		t.Errorf("Build: %v", got)
	}
	all := BuildAll(f)
	if got := names(all); len(got) != 3 || got[2] != "spare" || all.Plugins[2].Path != "/bin/spare" {
		t.Errorf("BuildAll: %v", got)
	}
}
