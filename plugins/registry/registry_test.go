package registry

import (
	"reflect"
	"slices"
	"testing"
)

func TestChain(t *testing.T) {
	tests := map[string][]string{
		"tcp":   {"dns", "tcp"},
		"tls":   {"dns", "tcp", "tls"},
		"http":  {"dns", "tcp", "http"},
		"https": {"dns", "tcp", "tls", "http"},
		"ftp":   nil,
	}
	for protocol, want := range tests {
		if got := Chain(protocol); !reflect.DeepEqual(got, want) {
			t.Errorf("Chain(%q) = %q, want %q", protocol, got, want)
		}
	}
	Chain("tcp")[0] = "changed"
	if Chain("tcp")[0] != "dns" {
		t.Error("Chain returns a shared slice")
	}
}

// Every phase of every chain is a built-in, every built-in is in some
// chain, and the resolve slot starts every chain.
func TestChainsUseBuiltins(t *testing.T) {
	used := map[string]bool{}
	for _, p := range ProtocolNames() {
		chain := Chain(p)
		if len(chain) == 0 || chain[0] != ResolvePhase {
			t.Errorf("chain of %s = %q, want it to start with %q", p, chain, ResolvePhase)
		}
		for _, name := range chain {
			if !IsBuiltin(name) {
				t.Errorf("chain of %s names %q, which is not a built-in", p, name)
			}
			used[name] = true
		}
	}
	for _, name := range Names() {
		if !used[name] {
			t.Errorf("built-in %q is in no protocol's chain", name)
		}
	}
}

func TestDefaultPort(t *testing.T) {
	for proto, want := range map[string]int{"tcp": 0, "tls": 443, "http": 80, "https": 443, "ftp": 0} {
		if got := DefaultPort(proto); got != want {
			t.Errorf("DefaultPort(%q) = %d, want %d", proto, got, want)
		}
	}
}

func TestWarmDefaults(t *testing.T) {
	want := map[string]map[string]any{
		"dns":  {"cache": true},
		"tls":  {"session_cache": true},
		"http": {"keep_alive": true},
	}
	if got := WarmDefaults(true); !reflect.DeepEqual(got, want) {
		t.Errorf("WarmDefaults(true) = %v, want %v", got, want)
	}
	delete(want, "http")
	if got := WarmDefaults(false); !reflect.DeepEqual(got, want) {
		t.Errorf("WarmDefaults(false) = %v, want %v", got, want)
	}
	if f, ok := WarmFeature("tls", "session_cache"); !ok || f != "tls session resumption" {
		t.Errorf("WarmFeature(tls, session_cache) = %q, %v", f, ok)
	}
	if _, ok := WarmFeature("tcp", "cache"); ok {
		t.Error("WarmFeature(tcp, cache) found a setting")
	}
}

func TestTestFlags(t *testing.T) {
	var names []string
	for _, f := range TestFlags() {
		names = append(names, f.Name)
		phase, got, ok := TestFlag(f.Name)
		if !ok || got != f || !slices.Contains(Names(), phase) {
			t.Errorf("TestFlag(%q) = %q, %v, %v", f.Name, phase, got, ok)
		}
	}
	want := []string{"dns-server", "dns-transport", "dns-ca-file", "dns-tls-name", "dns-bootstrap", "ca-file", "insecure", "sni", "path"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("flags = %q, want %q", names, want)
	}
	if phase, f, _ := TestFlag("sni"); phase != "tls" || f.Attribute != "server_name" {
		t.Errorf("TestFlag(sni) = %s.%s, want tls.server_name", phase, f.Attribute)
	}
	if got := ProtocolsWith("tls"); !reflect.DeepEqual(got, []string{"tls", "https"}) {
		t.Errorf("ProtocolsWith(tls) = %q", got)
	}
}
