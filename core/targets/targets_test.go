package targets

import (
	"strings"
	"testing"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/preconnect/hostlist"
)

func TestParseGivesChainsAndTimeouts(t *testing.T) {
	got, err := Parse("web.test:8080:http, [::1]:443:https ,10.0.0.1:22:tcp,a.test:853:TLS")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, chain string }{
		{"web.test:8080:http", "dns,tcp,http"},
		{"[::1]:443:https", "dns,tcp,tls,http"},
		{"10.0.0.1:22:tcp", "dns,tcp"},
		{"a.test:853:tls", "dns,tcp,tls"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d targets: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Name != w.name || strings.Join(got[i].Phases, ",") != w.chain || got[i].Timeout != config.DefaultTimeout {
			t.Errorf("entry %d = %+v, want name %s chain %s", i, got[i], w.name, w.chain)
		}
	}
}

func TestParseErrorIsHostlists(t *testing.T) {
	_, err := Parse("ok.test:1:tcp,web.test:http:80")
	_, want := hostlist.Parse("ok.test:1:tcp,web.test:http:80")
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("error %v, want hostlist's %v", err, want)
	}
}

func TestDefaults(t *testing.T) {
	got := DefaultTargets()
	entries := hostlist.Defaults()
	if len(got) != len(entries) {
		t.Fatalf("%d default targets, want %d", len(got), len(entries))
	}
	for i, g := range got {
		e := entries[i]
		if g.Name != e.Name || g.Host != e.Host || g.Port != e.Port || g.Protocol != e.Protocol || len(g.Phases) == 0 {
			t.Errorf("default %d = %+v, want %+v", i, g, e)
		}
	}
}
