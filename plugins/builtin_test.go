package plugins

import (
	"slices"
	"testing"

	"github.com/probe-net/probe/plugins/registry"
	"github.com/probe-net/probe/sdk"
)

// Every built-in in the registry has a constructor whose plugin calls itself
// by the registry's name, and every constructor is in the registry.
func TestRegistryAndConstructorsAgree(t *testing.T) {
	for _, name := range registry.Names() {
		phase, ok := Builtin(name)
		if !ok {
			t.Errorf("built-in %q has no constructor in package plugins", name)
			continue
		}
		if got := phase.Describe().Name; got != name {
			t.Errorf("Builtin(%q).Describe().Name = %q", name, got)
		}
	}
	for name := range constructors {
		if !registry.IsBuiltin(name) {
			t.Errorf("constructor %q is not in plugins/registry", name)
		}
	}
	if _, ok := Builtin("statichosts"); ok {
		t.Error("Builtin(statichosts) found a phase")
	}
}

// The settings warmup and probe test apply name attributes the built-in
// declares, with values of the declared type: renaming a plugin attribute
// without the registry fails here, not silently in a run (the host leaves
// out a default the plugin does not declare).
func TestRegistrySettingsMatchSchemas(t *testing.T) {
	for _, p := range registry.Phases() {
		phase, ok := Builtin(p.Name)
		if !ok {
			continue // reported by TestRegistryAndConstructorsAgree
		}
		schema := phase.Describe().Schema
		for _, s := range p.Warm {
			a, ok := attribute(schema, s.Attribute)
			if !ok {
				t.Errorf("%s: warm setting %q is not in the plugin's schema", p.Name, s.Attribute)
			} else if _, isBool := s.Value.(bool); isBool != (a.Type == sdk.Bool) {
				t.Errorf("%s: warm setting %q = %v, but the attribute is a %s", p.Name, s.Attribute, s.Value, a.Type)
			}
			if s.Feature == "" {
				t.Errorf("%s: warm setting %q has no feature name", p.Name, s.Attribute)
			}
		}
		for _, f := range p.Test {
			if _, ok := attribute(schema, f.Attribute); !ok {
				t.Errorf("%s: flag --%s sets %q, which is not in the plugin's schema", p.Name, f.Name, f.Attribute)
			}
		}
	}
}

func attribute(schema []sdk.Attribute, name string) (sdk.Attribute, bool) {
	i := slices.IndexFunc(schema, func(a sdk.Attribute) bool { return a.Name == name })
	if i < 0 {
		return sdk.Attribute{}, false
	}
	return schema[i], true
}
