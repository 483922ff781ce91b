// Package plugins is the registry of the built-in phase plugins. The probe
// binary serves each of them in its own process by re-executing itself
// (`probe __plugin NAME`); their code lives in the subdirectories.
package plugins

import (
	dnsphase "github.com/probe-net/probe/plugins/dns"
	httpphase "github.com/probe-net/probe/plugins/http"
	tcpphase "github.com/probe-net/probe/plugins/tcp"
	tlsphase "github.com/probe-net/probe/plugins/tls"
	"github.com/probe-net/probe/sdk"
)

// Names lists the built-in phases in chain order.
var Names = []string{dnsphase.Name, tcpphase.Name, tlsphase.Name, httpphase.Name}

// Builtin returns a new instance of the named built-in phase.
func Builtin(name string) (sdk.Phase, bool) {
	switch name {
	case dnsphase.Name:
		return dnsphase.New(), true
	case tcpphase.Name:
		return tcpphase.New(), true
	case tlsphase.Name:
		return tlsphase.New(), true
	case httpphase.Name:
		return httpphase.New(), true
	}
	return nil, false
}
