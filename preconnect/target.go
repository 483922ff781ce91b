package preconnect

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/targets"
	"github.com/probe-net/probe/plugins/registry"
	"github.com/probe-net/probe/sdk"
)

// Target is one host to preconnect: the guide's {host, port, protocol,
// timeout}. The zero values of Port, Protocol, Timeout and Name take
// defaults (see each field).
type Target struct {
	// Name labels the target in results; "" means "host:port:protocol".
	Name string
	// Host is a DNS name or an IP literal (IPv6 with or without brackets).
	// An internationalised name is sent as its A-label (IDNA 2008, UTS #46),
	// as the CLI sends it; Result.Target.Host is that A-label.
	Host string
	// Port is 1 to 65535; 0 means the protocol's port (80 for http, 443 for
	// https and tls). A tcp target needs one.
	Port int
	// Protocol is "tcp", "tls", "http" or "https" ("" means "https"); it
	// chooses the phases (see Phases).
	Protocol string
	// Timeout bounds the whole chain of one probe; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is the budget of a probe whose Target gives none: the
// CLI's default too.
const DefaultTimeout = config.DefaultTimeout

// EnvHosts names the environment variable HostsFromEnv reads:
// "host:port:proto" entries separated by commas, IPv6 hosts in brackets
// ("[::1]:443:https").
const EnvHosts = targets.EnvHosts

// Phases returns the chain of phases a protocol runs, in order, as the CLI
// runs it: tcp → dns, tcp; tls → dns, tcp, tls; http → dns, tcp, http;
// https → dns, tcp, tls, http. It returns nil for any other protocol. The
// dns phase is skipped (Status Skipped) when the host is an IP literal.
func Phases(protocol string) []string { return registry.Chain(protocol) }

// DefaultTargets returns the preconnect guide's default target list: four
// local services over http on localhost (8080, 9090, 3000, 4000),
// api.example.com:443 over https and 100.64.0.10:8080 over http. The probe
// CLI uses the same list when given no targets file.
func DefaultTargets() []Target {
	return fromConfig(targets.DefaultTargets())
}

// ParseHosts reads a PRECONNECT_HOSTS value into targets named after their
// entries ("web.test:8080:http"). Blank entries are ignored. The error, the
// CLI's word for word, names the entry's position and text and what is
// wrong with it, e.g.
//
//	PRECONNECT_HOSTS entry 2 "web.test:http:80": port "http" is not a number from 1 to 65535
func ParseHosts(value string) ([]Target, error) {
	parsed, err := targets.Parse(value)
	if err != nil {
		return nil, err
	}
	return fromConfig(parsed), nil
}

// HostsFromEnv is ParseHosts of the PRECONNECT_HOSTS environment variable;
// unset or empty gives no targets and no error.
func HostsFromEnv() ([]Target, error) { return ParseHosts(os.Getenv(EnvHosts)) }

func fromConfig(ts []config.Target) []Target {
	out := make([]Target, 0, len(ts))
	for _, t := range ts {
		out = append(out, Target{Name: t.Name, Host: t.Host, Port: t.Port, Protocol: t.Protocol})
	}
	return out
}

// normalize fills t's defaults and checks it as the CLI checks a target in
// a file: an internationalised host name becomes its A-label (IDNA, as
// config.WireHost maps it), and Name, if defaulted, keeps the host as
// written. Its error is an *Error of kind input naming the target.
func (t Target) normalize() (Target, error) {
	t.Host = strings.TrimSuffix(strings.TrimPrefix(t.Host, "["), "]")
	if t.Protocol == "" {
		t.Protocol = config.DefaultProtocol
	}
	t.Protocol = strings.ToLower(t.Protocol)
	if t.Port == 0 {
		t.Port = registry.DefaultPort(t.Protocol)
	}
	if t.Timeout == 0 {
		t.Timeout = DefaultTimeout
	}
	if t.Name == "" {
		t.Name = net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) + ":" + t.Protocol
	}
	host, err := config.WireHost(t.Host)
	if err == nil {
		t.Host = host
		err = t.check()
	}
	if err != nil {
		return t, &Error{Kind: sdk.KindInput, Message: fmt.Sprintf("target %q: %v", t.Name, err)}
	}
	return t, nil
}

// check checks what config.WireHost does not.
func (t Target) check() error {
	switch {
	case !slices.Contains(registry.ProtocolNames(), t.Protocol):
		return fmt.Errorf("protocol %q is not one of %s", t.Protocol, strings.Join(registry.ProtocolNames(), ", "))
	case t.Port == 0:
		return fmt.Errorf("protocol %s has no default port: set Port", t.Protocol)
	case t.Port < 0 || t.Port > 65535:
		return fmt.Errorf("port %d is not from 1 to 65535", t.Port)
	case t.Timeout < 0:
		return fmt.Errorf("timeout %s is negative", t.Timeout)
	}
	return nil
}

// planTarget is t (normalised) as the runner takes it.
func (t Target) planTarget() plan.Target {
	out := plan.Target{
		Target:  sdk.Target{Name: t.Name, Host: t.Host, Port: t.Port, Protocol: t.Protocol},
		Timeout: t.Timeout,
		Phases:  Phases(t.Protocol),
	}
	if a, err := netip.ParseAddr(t.Host); err == nil {
		out.Literal = a.Unmap()
	}
	return out
}
