package preconnect

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/targets"
	"github.com/probe-net/probe/internal/safetext"
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
	// Protocol is "tcp", "tls", "http" or "https" ("" means "https"), in
	// lower case as everywhere in probe (a targets file, PRECONNECT_HOSTS):
	// "HTTPS" is an error of kind input that says so. It chooses the
	// phases (see Phases).
	Protocol string
	// Timeout bounds the whole chain of one probe; 0 means DefaultTimeout
	// (5 s). A ctx deadline earlier than it cuts a probe short; a
	// connection a Pool's Transport makes on demand has the request's
	// deadline instead, when there is one (see Pool.Transport).
	Timeout time.Duration
}

// DefaultTimeout is the budget of a probe whose Target gives none: 5
// seconds, the CLI's default too (core/config.DefaultTimeout). It covers
// the whole chain: DNS, TCP, TLS and HTTP together.
const DefaultTimeout = config.DefaultTimeout

// EnvHosts names the environment variable HostsFromEnv reads:
// "host:port:proto" entries separated by commas, IPv6 hosts in brackets
// ("[::1]:443:https").
const EnvHosts = targets.EnvHosts

// Phases returns the chain of phases a protocol runs, in order, as the CLI
// runs it: tcp → dns, tcp; tls → dns, tcp, tls; http → dns, tcp, http;
// https → dns, tcp, tls, http. It returns nil for any other protocol,
// including those names in another case ("HTTPS"), which a Target rejects
// too. The dns phase is skipped (Status Skipped) when the host is an IP
// literal.
func Phases(protocol string) []string { return registry.Chain(protocol) }

// DefaultTargets returns the preconnect guide's default target list: four
// local services over http on localhost (8080, 9090, 3000, 4000),
// api.example.com:443 over https and 100.64.0.10:8080 over http. It is
// the CLI's default — what `probe preconnect` probes when given no
// targets file — kept here so a program can show or reuse the guide's
// list; a program preconnecting its own upstreams names them itself (see
// TargetFromURL).
func DefaultTargets() []Target {
	return fromConfig(targets.DefaultTargets())
}

// ParseHosts reads a PRECONNECT_HOSTS value into targets named after their
// entries ("web.test:8080:http"). A value of only spaces is no targets; an
// empty entry is an error, and protocols are lower case, as in a targets
// file. The error, the CLI's word for word, names the entry's position and
// text and what is wrong with it, e.g.
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
// unset or empty gives no targets and no error. The variable is the
// guide's and the CLI's way to name targets without a file; a program may
// accept it too (examples/preconnect-server does) so one setting serves
// both.
func HostsFromEnv() ([]Target, error) { return ParseHosts(os.Getenv(EnvHosts)) }

// TargetFromURL is the target a request to the http or https URL u
// connects to: the scheme is the protocol (compared without regard to
// case, as URL schemes are, RFC 3986 §3.1), the host the URL's (IPv6
// without brackets), the port the URL's or the scheme's (80, 443). Name
// and Timeout are left zero (defaults when used); path, query and user
// information are ignored. The error, an *Error of kind input, names the
// URL and what is wrong with it: not a URL, another scheme, no host, a bad
// port or host.
func TargetFromURL(u string) (Target, error) {
	fail := func(format string, args ...any) (Target, error) {
		return Target{}, &Error{Kind: KindInput, Message: fmt.Sprintf("URL %s: ", safetext.Quote(u)) + fmt.Sprintf(format, args...)}
	}
	parsed, err := url.Parse(u)
	switch {
	case err != nil:
		return fail("not a URL: %v", errors.Unwrap(err))
	case parsed.Scheme != "http" && parsed.Scheme != "https": // url.Parse lower-cases the scheme
		return fail("the scheme must be http or https")
	case parsed.Hostname() == "":
		return fail("no host")
	}
	t := Target{Host: parsed.Hostname(), Protocol: parsed.Scheme, Port: registry.DefaultPort(parsed.Scheme)}
	if p := parsed.Port(); p != "" {
		if t.Port, err = strconv.Atoi(p); err != nil || t.Port < 1 || t.Port > 65535 {
			return fail("port %s is not a number from 1 to 65535", safetext.Quote(p))
		}
	}
	if _, err := t.wireHost(); err != nil {
		return fail("%v", err)
	}
	return t, nil
}

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
	if t.Port == 0 {
		t.Port = registry.DefaultPort(t.Protocol)
	}
	if t.Timeout == 0 {
		t.Timeout = DefaultTimeout
	}
	t.Name = t.name()
	host, err := t.wireHost()
	if err != nil {
		return t, &Error{Kind: KindInput, Message: fmt.Sprintf("target %q: %v", t.Name, err)}
	}
	t.Host = host
	return t, nil
}

// wireHost checks t, defaults filled in, and returns its host in wire form.
func (t Target) wireHost() (string, error) {
	host, err := config.WireHost(t.Host)
	if err != nil {
		return "", err
	}
	return host, t.check()
}

// name is t.Name, or "host:port:protocol" when that is empty.
func (t Target) name() string {
	if t.Name != "" {
		return t.Name
	}
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) + ":" + t.Protocol
}

// check checks what config.WireHost does not.
func (t Target) check() error {
	switch {
	case config.ProtocolProblem(t.Protocol) != "":
		return fmt.Errorf("protocol %s", config.ProtocolProblem(t.Protocol))
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
