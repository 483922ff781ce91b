package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/probe-net/probe/plugins/registry"
)

// The loader takes its built-ins and chains from plugins/registry: every
// built-in can be declared without a path, and every protocol's target gets
// the registry's chain and default port.
func TestLoaderReadsRegistry(t *testing.T) {
	var src strings.Builder
	for _, name := range registry.Names() {
		fmt.Fprintf(&src, "plugin %q {}\n", name)
	}
	for _, proto := range registry.ProtocolNames() {
		fmt.Fprintf(&src, "target %q {\n  host = \"127.0.0.1\"\n  port = 7\n  protocol = %q\n}\n", proto, proto)
	}
	file, diags := NewLoader().LoadSource("registry.hcl", []byte(src.String()), LoadOptions{Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatalf("LoadSource:\n%s\n%s", src.String(), renderDiags(diags))
	}
	for i, name := range registry.Names() {
		if p := file.Plugins[i]; p.Name != name || p.Builtin != name {
			t.Errorf("plugin %q: name %q, builtin %q", name, p.Name, p.Builtin)
		}
	}
	for i, proto := range registry.ProtocolNames() {
		if got := file.Targets[i].Phases; !reflect.DeepEqual(got, registry.Chain(proto)) {
			t.Errorf("target of protocol %s: phases %q, want %q", proto, got, registry.Chain(proto))
		}
	}
}
