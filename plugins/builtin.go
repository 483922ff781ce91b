// Package plugins holds the constructors of the built-in phase plugins. The
// probe binary serves each of them in its own process by re-executing
// itself (`probe __plugin NAME`); their code lives in the subdirectories.
// Which phases are built in, and the chains and settings they take part in,
// is data in plugins/registry; this package only maps each of those names
// to a constructor (its tests check that the two agree).
package plugins

import (
	dnsphase "github.com/probe-net/probe/plugins/dns"
	httpphase "github.com/probe-net/probe/plugins/http"
	"github.com/probe-net/probe/plugins/registry"
	tcpphase "github.com/probe-net/probe/plugins/tcp"
	tlsphase "github.com/probe-net/probe/plugins/tls"
	"github.com/probe-net/probe/sdk"
)

// constructors returns a new instance of each built-in, by registry name.
var constructors = map[string]func() sdk.Phase{
	dnsphase.Name:  func() sdk.Phase { return dnsphase.New() },
	tcpphase.Name:  func() sdk.Phase { return tcpphase.New() },
	tlsphase.Name:  func() sdk.Phase { return tlsphase.New() },
	httpphase.Name: func() sdk.Phase { return httpphase.New() },
}

// Builtin returns a new instance of the named built-in phase.
func Builtin(name string) (sdk.Phase, bool) {
	newPhase, ok := constructors[name]
	if !ok || !registry.IsBuiltin(name) {
		return nil, false
	}
	return newPhase(), true
}
