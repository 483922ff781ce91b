// Package targets supplies the targets that do not come from a targets
// file: the built-in default list of the preconnect guide probe grew out of,
// and extra targets from the PRECONNECT_HOSTS environment variable.
package targets

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/internal/safetext"
	"github.com/probe-net/probe/plugins/registry"
)

// EnvHosts names the environment variable holding extra targets as
// "host:port:proto,..." (IPv6 hosts in brackets: "[::1]:443:https").
const EnvHosts = "PRECONNECT_HOSTS"

// Entry is one target of the built-in list.
type Entry struct {
	Name        string
	Host        string
	Port        int
	Protocol    string
	Description string
}

// Defaults is the guide's target list, used when no targets file is given.
var Defaults = []Entry{
	{"headscale-api", "localhost", 8080, "http", "Headscale API"},
	{"metrics", "localhost", 9090, "http", "Metrics"},
	{"headplane-ui", "localhost", 3000, "http", "Headplane UI"},
	{"api-proxy", "localhost", 4000, "http", "API Proxy"},
	{"production-api", "api.example.com", 443, "https", "Production API"},
	{"tailscale-headscale", "100.64.0.10", 8080, "http", "Tailscale Headscale"},
}

// DefaultTargets returns Defaults as config targets.
func DefaultTargets() []config.Target {
	out := make([]config.Target, 0, len(Defaults))
	for _, e := range Defaults {
		t, err := target(e.Name, e.Host, e.Port, e.Protocol)
		if err != nil { // the list is fixed: TestDefaults keeps it valid
			continue
		}
		out = append(out, t)
	}
	return out
}

// target builds a config target from a host as written, with the checks
// and the IDNA mapping a targets file gets (config.WireHost).
func target(name, written string, port int, protocol string) (config.Target, error) {
	host, err := config.WireHost(written)
	if err != nil {
		return config.Target{}, err
	}
	return config.Target{
		Name: name, Host: host, Port: port, Protocol: protocol,
		Timeout: config.DefaultTimeout, Phases: registry.Chain(protocol),
	}, nil
}

// Parse reads a PRECONNECT_HOSTS value: entries "host:port:proto"
// separated by commas, with spaces around an entry ignored. A value of only
// spaces means no targets; an empty entry within a value (",," or a comma
// at either end) is an error, as is anything else that is not a target, by
// the same rules as the targets file (config.WireHost,
// config.ProtocolProblem, ParsePort). Each target is named
// "host:port:proto" (the entry itself, normalised). An error names the
// entry by number and quotes it, escaped and shortened (safetext.Quote).
func Parse(value string) ([]config.Target, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var out []config.Target
	for i, raw := range strings.Split(value, ",") {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			return nil, fmt.Errorf("%s entry %d is empty: remove the extra comma (entries are host:port:proto, separated by commas)", EnvHosts, i+1)
		}
		t, err := parseEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("%s entry %d %s: %w", EnvHosts, i+1, safetext.Quote(entry), err)
		}
		out = append(out, t)
	}
	return out, nil
}

// ParseOne reads one "host:port:proto" entry, as Parse does for each
// entry of PRECONNECT_HOSTS; the target is named after the entry.
func ParseOne(entry string) (config.Target, error) {
	return parseEntry(strings.TrimSpace(entry))
}

func parseEntry(entry string) (config.Target, error) {
	host, rest, err := splitHost(entry)
	if err != nil {
		return config.Target{}, err
	}
	portText, proto, ok := strings.Cut(rest, ":")
	if !ok {
		return config.Target{}, fmt.Errorf("want host:port:proto")
	}
	port, err := ParsePort(portText)
	if err != nil {
		return config.Target{}, err
	}
	if problem := config.ProtocolProblem(proto); problem != "" {
		return config.Target{}, fmt.Errorf("protocol %s", problem)
	}
	hostPart := host
	if strings.Contains(host, ":") {
		hostPart = "[" + host + "]"
	}
	return target(hostPart+":"+strconv.Itoa(port)+":"+proto, host, port, proto)
}

// ParsePort reads a port written as text, in decimal: 1 to 65535. The
// error quotes the text and says what is wanted, whatever it was (a sign,
// a fraction, 20 digits).
func ParsePort(s string) (int, error) {
	port, err := strconv.Atoi(s)
	if err != nil || port < 1 || port > 65535 || s[0] == '+' {
		return 0, fmt.Errorf("port %s is not a number from 1 to 65535", safetext.Quote(s))
	}
	return port, nil
}

// splitHost takes the host off the front of an entry: a name, an IPv4
// address or a bracketed IPv6 address.
func splitHost(entry string) (host, rest string, err error) {
	if strings.HasPrefix(entry, "[") {
		end := strings.Index(entry, "]")
		if end < 0 {
			return "", "", fmt.Errorf("missing ] after the IPv6 address")
		}
		host = entry[1:end]
		if a, perr := netip.ParseAddr(host); perr != nil || !a.Is6() {
			return "", "", fmt.Errorf("%s is not an IPv6 address", safetext.Quote(host))
		}
		if !strings.HasPrefix(entry[end+1:], ":") {
			return "", "", fmt.Errorf("want [ipv6]:port:proto")
		}
		return host, entry[end+2:], nil
	}
	if fields := strings.Split(entry, ":"); len(fields) > 3 {
		return "", "", tooManyFields(fields)
	}
	host, rest, ok := strings.Cut(entry, ":")
	if !ok || host == "" {
		return "", "", fmt.Errorf("want host:port:proto")
	}
	return host, rest, nil
}

// tooManyFields explains an entry with more than three colon-separated
// fields: an IPv6 address without brackets, or something after the protocol.
func tooManyFields(fields []string) error {
	host := strings.Join(fields[:len(fields)-2], ":")
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		return fmt.Errorf("write an IPv6 address in brackets: %s",
			safetext.Escape(safetext.Shorten("["+host+"]:"+strings.Join(fields[len(fields)-2:], ":"), safetext.MaxValue)))
	}
	if strings.Contains(fields[0], "/") || strings.HasPrefix(fields[1], "//") {
		return fmt.Errorf("want host:port:proto, not a URL")
	}
	return fmt.Errorf("want host:port:proto, but it has %d fields; %s after the protocol is one too many (entries are separated by commas)",
		len(fields), safetext.Quote(strings.Join(fields[3:], ":")))
}
