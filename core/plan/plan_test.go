package plan

import (
	"net/netip"
	"slices"
	"testing"
)

func names(ps []Plugin) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
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
