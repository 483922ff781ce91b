package plan

import (
	"testing"

	"github.com/probe-net/probe/core/config"
)

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
