package preconnect

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/plugins"
	"github.com/probe-net/probe/plugins/registry"
	"github.com/probe-net/probe/sdk"
)

// Attrs is one built-in phase's configuration: attribute name → value, as
// in the config body of that phase's plugin block in a targets file. A
// value has the Go type of the attribute's declared type: string, a number
// (int, float64, ...), bool, a slice of those ([]string, []int) or
// map[string]string. A duration attribute ("timeout") takes a
// time.Duration or a string in time.ParseDuration's form ("500ms"). The
// attributes of each phase, with their types, are listed in
// plugins/<phase>/README.md and by `probe plugins`.
type Attrs map[string]any

// Config configures the built-in phases a Client or Pool runs. The zero
// Config is the CLI's defaults: the resolvers of /etc/resolv.conf, the
// system's trusted CAs, TLS 1.2 and up.
//
// Examples: Attrs{"servers": []string{"127.0.0.1:5353"}} for DNS;
// Attrs{"ca_file": "ca.pem", "server_name": "api.internal"} for TLS;
// Attrs{"path": "/healthz", "expect_status": []int{200}} for HTTP.
type Config struct {
	DNS, TCP, TLS, HTTP Attrs
}

func (c Config) attrs(phase string) Attrs {
	switch phase {
	case "dns":
		return c.DNS
	case "tcp":
		return c.TCP
	case "tls":
		return c.TLS
	case "http":
		return c.HTTP
	}
	return nil
}

// phases returns the built-in phases configured by c; defaults (phase →
// attribute → value) fill attributes c leaves unset. The error says which
// phase rejected which attribute and why.
func (c Config) phases(defaults map[string]Attrs) (runner.InProcess, error) {
	out := runner.InProcess{}
	var errs []error
	for _, name := range registry.Names() {
		p, _ := plugins.Builtin(name)
		if err := configure(p, withDefaults(c.attrs(name), defaults[name])); err != nil {
			errs = append(errs, fmt.Errorf("preconnect: %s config: %w", name, err))
			continue
		}
		out[name] = p
	}
	return out, errors.Join(errs...)
}

func withDefaults(attrs, defaults Attrs) Attrs {
	out := Attrs{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// configure type-checks attrs against p's schema, as the CLI checks a
// targets file, and hands them to p.
func configure(p sdk.Phase, attrs Attrs) error {
	schema := p.Describe().Schema
	obj := map[string]json.RawMessage{}
	var errs []error
	for _, name := range sortedKeys(attrs) {
		v, err := checkAttr(schema, name, attrs[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		obj[name] = v
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return p.Configure(sdk.NewConfig(raw))
}

// checkAttr converts one value to the attribute's declared type and
// returns it as JSON.
func checkAttr(schema []sdk.Attribute, name string, v any) (json.RawMessage, error) {
	i := slices.IndexFunc(schema, func(a sdk.Attribute) bool { return a.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("unknown attribute %q (known: %s)", name, attrNames(schema))
	}
	ty, err := config.CtyType(schema[i].Type)
	if err != nil {
		return nil, err
	}
	if d, ok := v.(time.Duration); ok && schema[i].Type.String() == sdk.String.String() {
		v = d.String() // duration attributes are strings: "500ms"
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	val, err := ctyjson.Unmarshal(raw, ty)
	if err != nil {
		return nil, fmt.Errorf("%s: want %s, got %s", name, schema[i].Type, raw)
	}
	return ctyjson.Marshal(val, ty)
}

func attrNames(schema []sdk.Attribute) string {
	names := make([]string, len(schema))
	for i, a := range schema {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

func sortedKeys(m Attrs) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
