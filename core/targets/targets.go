// Package targets supplies the targets that do not come from a targets
// file, as config targets: the built-in default list of the preconnect
// guide probe grew out of, and extra targets from the PRECONNECT_HOSTS
// environment variable. Both lists, and the parsing with its error
// messages, live in preconnect/hostlist, which the public package
// preconnect shares; this package only gives them timeouts and chains.
package targets

import (
	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/plugins/registry"
	"github.com/probe-net/probe/preconnect/hostlist"
)

// EnvHosts names the environment variable holding extra targets as
// "host:port:proto,..." (IPv6 hosts in brackets: "[::1]:443:https").
const EnvHosts = hostlist.EnvHosts

// DefaultTargets returns the guide's default list (hostlist.Defaults) as
// config targets.
func DefaultTargets() []config.Target {
	return convert(hostlist.Defaults())
}

// Parse reads a PRECONNECT_HOSTS value (see hostlist.Parse) into config
// targets with the default timeout and their protocol's chain.
func Parse(value string) ([]config.Target, error) {
	entries, err := hostlist.Parse(value)
	if err != nil {
		return nil, err
	}
	return convert(entries), nil
}

func convert(entries []hostlist.Entry) []config.Target {
	out := make([]config.Target, 0, len(entries))
	for _, e := range entries {
		out = append(out, config.Target{
			Name: e.Name, Host: e.Host, Port: e.Port, Protocol: e.Protocol,
			Timeout: config.DefaultTimeout, Phases: registry.Chain(e.Protocol),
		})
	}
	return out
}
