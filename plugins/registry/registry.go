// Package registry is the one list of probe's built-in phases and of the
// protocols whose default chains they form: each phase's name, the config
// settings `probe warmup` turns on and the `probe test` flags that set its
// config. The config loader (which names are built-ins, a protocol's chain
// and default port), the plan (the resolve slot) and the commands read it
// from here; package plugins maps each name to its constructor, and its
// tests fail when a built-in is missing from either side or a setting names
// an attribute the plugin does not declare.
//
// This package is data only and imports nothing but sdk, on purpose: the
// config layer needs the names and chains, and importing package plugins
// from there would compile every plugin's implementation (miekg/dns,
// net/http, crypto/tls) into config, plan, stats and output, which only
// read data. The constructors stay in package plugins, which the probe
// binary imports to serve `probe __plugin NAME`.
package registry

import (
	"slices"

	"github.com/probe-net/probe/sdk"
)

// Phase is one built-in phase.
type Phase struct {
	// Name is the phase's slot in a chain and the built-in plugin's
	// Describe().Name.
	Name string
	// Warm are the config attributes `probe warmup` sets where the targets
	// file leaves them unset, so that a repeated probe is warm.
	Warm []Setting
	// Test are the `probe test` flags that set this phase's config.
	Test []Flag
}

// Setting is one plugin config attribute a command sets.
type Setting struct {
	Attribute string // the attribute, as the plugin's schema declares it
	Value     any    // a JSON-compatible value of the attribute's type
	Feature   string // what it turns on, for people: "dns cache"
	// Reuse marks a setting that only makes sense when the run starts a
	// target's next probe on the previous probe's connection.
	Reuse bool
}

// Flag is a `probe test` flag that sets one config attribute of a phase.
type Flag struct {
	Name      string // without dashes: "dns-server"
	Attribute string // the attribute it sets: "servers"
}

// Protocol is a value of a target's protocol attribute.
type Protocol struct {
	Name        string
	Chain       []string // the default chain of phases, in order
	DefaultPort int      // 0 when a target must give one
}

// ResolvePhase is the chain slot that turns the target's host name into
// addresses; the runner skips it for a host that is an IP literal.
const ResolvePhase = sdk.PhaseDNS

var phases = []Phase{
	{
		Name: sdk.PhaseDNS,
		Warm: []Setting{{Attribute: "cache", Value: true, Feature: "dns cache"}},
		Test: []Flag{
			{Name: "dns-server", Attribute: "servers"},
			{Name: "dns-transport", Attribute: "transport"},
			{Name: "dns-ca-file", Attribute: "ca_file"},
			{Name: "dns-tls-name", Attribute: "tls_server_name"},
			{Name: "dns-bootstrap", Attribute: "bootstrap"},
		},
	},
	{Name: sdk.PhaseTCP},
	{
		Name: sdk.PhaseTLS,
		Warm: []Setting{{Attribute: "session_cache", Value: true, Feature: "tls session resumption"}},
		Test: []Flag{
			{Name: "ca-file", Attribute: "ca_file"},
			{Name: "insecure", Attribute: "insecure_skip_verify"},
			{Name: "sni", Attribute: "server_name"},
		},
	},
	{
		Name: sdk.PhaseHTTP,
		Warm: []Setting{{Attribute: "keep_alive", Value: true, Feature: "http keep-alive (connection reuse)", Reuse: true}},
		Test: []Flag{{Name: "path", Attribute: "path"}},
	},
}

var protocols = []Protocol{
	{Name: "tcp", Chain: []string{sdk.PhaseDNS, sdk.PhaseTCP}},
	{Name: "tls", Chain: []string{sdk.PhaseDNS, sdk.PhaseTCP, sdk.PhaseTLS}, DefaultPort: 443},
	{Name: "http", Chain: []string{sdk.PhaseDNS, sdk.PhaseTCP, sdk.PhaseHTTP}, DefaultPort: 80},
	{Name: "https", Chain: []string{sdk.PhaseDNS, sdk.PhaseTCP, sdk.PhaseTLS, sdk.PhaseHTTP}, DefaultPort: 443},
}

// Phases returns the built-in phases in chain order. The slice is the
// caller's; the Warm and Test slices in it are shared and must not change.
func Phases() []Phase { return slices.Clone(phases) }

// Names returns the built-in phases' names in chain order: dns, tcp, tls, http.
func Names() []string {
	out := make([]string, len(phases))
	for i, p := range phases {
		out[i] = p.Name
	}
	return out
}

// Lookup returns the built-in phase called name.
func Lookup(name string) (Phase, bool) {
	i := slices.IndexFunc(phases, func(p Phase) bool { return p.Name == name })
	if i < 0 {
		return Phase{}, false
	}
	return phases[i], true
}

// IsBuiltin reports whether name is a built-in phase.
func IsBuiltin(name string) bool {
	_, ok := Lookup(name)
	return ok
}

// ProtocolNames returns the values of a target's protocol attribute:
// tcp, tls, http, https.
func ProtocolNames() []string {
	out := make([]string, len(protocols))
	for i, p := range protocols {
		out[i] = p.Name
	}
	return out
}

func protocol(name string) (Protocol, bool) {
	i := slices.IndexFunc(protocols, func(p Protocol) bool { return p.Name == name })
	if i < 0 {
		return Protocol{}, false
	}
	return protocols[i], true
}

// Chain returns the default phase chain of a protocol, or nil for an
// unknown protocol. The slice is the caller's.
func Chain(protocolName string) []string {
	p, _ := protocol(protocolName)
	return slices.Clone(p.Chain)
}

// DefaultPort returns the port a protocol uses when the target sets none, or
// 0 when the protocol has no default (tcp) or is unknown.
func DefaultPort(protocolName string) int {
	p, _ := protocol(protocolName)
	return p.DefaultPort
}

// ProtocolsWith returns the protocols whose default chain includes phase,
// in the order of ProtocolNames.
func ProtocolsWith(phase string) []string {
	var out []string
	for _, p := range protocols {
		if slices.Contains(p.Chain, phase) {
			out = append(out, p.Name)
		}
	}
	return out
}

// WarmDefaults returns the config `probe warmup` applies, phase → attribute
// → value (the defaults argument of config.File.ConfigurePlugins). Without reuse,
// the settings that need connection reuse are left out.
func WarmDefaults(reuse bool) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, p := range phases {
		for _, s := range p.Warm {
			if s.Reuse && !reuse {
				continue
			}
			if out[p.Name] == nil {
				out[p.Name] = map[string]any{}
			}
			out[p.Name][s.Attribute] = s.Value
		}
	}
	return out
}

// WarmFeature names a warm setting for people ("dns cache"); ok is false
// when phase has no warm setting for attribute.
func WarmFeature(phase, attribute string) (feature string, ok bool) {
	p, _ := Lookup(phase)
	for _, s := range p.Warm {
		if s.Attribute == attribute {
			return s.Feature, true
		}
	}
	return "", false
}

// TestFlag returns the phase and attribute the `probe test` flag called
// name sets.
func TestFlag(name string) (phase string, flag Flag, ok bool) {
	for _, p := range phases {
		for _, f := range p.Test {
			if f.Name == name {
				return p.Name, f, true
			}
		}
	}
	return "", Flag{}, false
}

// TestFlags returns every `probe test` flag that sets plugin config, in
// chain order.
func TestFlags() []Flag {
	var out []Flag
	for _, p := range phases {
		out = append(out, p.Test...)
	}
	return out
}
