// Package hostlist holds the two target lists that do not come from a
// targets file: the default list of the preconnect guide probe grew out of,
// and the extra targets of the PRECONNECT_HOSTS environment variable.
//
// It is the one implementation both the probe CLI (through core/targets)
// and the public package preconnect use, so a malformed PRECONNECT_HOSTS
// gets the same error from either. Of probe it reads only the protocol
// names (plugins/registry); it knows nothing of how targets are probed.
package hostlist

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/probe-net/probe/plugins/registry"
)

// EnvHosts names the environment variable holding extra targets.
const EnvHosts = "PRECONNECT_HOSTS"

// Entry is one target: a host (DNS name or IP literal, IPv6 without
// brackets), a port from 1 to 65535 and a protocol (tcp, tls, http or
// https: registry.ProtocolNames).
type Entry struct {
	Name        string // unique within a list
	Host        string
	Port        int
	Protocol    string
	Description string // what the guide calls the service; "" for parsed entries
}

// defaults is the guide's list. Its hosts are not probe's to reach: tests
// never use it.
var defaults = []Entry{
	{"headscale-api", "localhost", 8080, "http", "Headscale API"},
	{"metrics", "localhost", 9090, "http", "Metrics"},
	{"headplane-ui", "localhost", 3000, "http", "Headplane UI"},
	{"api-proxy", "localhost", 4000, "http", "API Proxy"},
	{"production-api", "api.example.com", 443, "https", "Production API"},
	{"tailscale-headscale", "100.64.0.10", 8080, "http", "Tailscale Headscale"},
}

// Defaults returns a copy of the guide's default target list: four local
// HTTP services on localhost (8080, 9090, 3000, 4000), api.example.com:443
// over https and 100.64.0.10:8080 over http.
func Defaults() []Entry { return slices.Clone(defaults) }

// Parse reads a PRECONNECT_HOSTS value: entries "host:port:proto"
// separated by commas, IPv6 hosts in brackets ("[::1]:443:https"). Blank
// entries are ignored; the protocol is case-insensitive. Each entry is named
// after itself, normalised ("web.test:8080:http").
//
// An error names the variable, the entry's 1-based position and text, and
// what is wrong, e.g.
//
//	PRECONNECT_HOSTS entry 2 "web.test:http:80": port "http" is not a number from 1 to 65535
func Parse(value string) ([]Entry, error) {
	var out []Entry
	for i, raw := range strings.Split(value, ",") {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			continue
		}
		e, err := parseEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("%s entry %d %q: %w", EnvHosts, i+1, entry, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func parseEntry(entry string) (Entry, error) {
	host, rest, err := splitHost(entry)
	if err != nil {
		return Entry{}, err
	}
	portText, proto, ok := strings.Cut(rest, ":")
	if !ok {
		return Entry{}, fmt.Errorf("want host:port:proto")
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return Entry{}, fmt.Errorf("port %q is not a number from 1 to 65535", portText)
	}
	proto = strings.ToLower(proto)
	if names := registry.ProtocolNames(); !slices.Contains(names, proto) {
		return Entry{}, fmt.Errorf("protocol %q is not one of %s", proto, strings.Join(names, ", "))
	}
	hostPart := host
	if strings.Contains(host, ":") {
		hostPart = "[" + host + "]"
	}
	return Entry{Name: hostPart + ":" + portText + ":" + proto, Host: host, Port: port, Protocol: proto}, nil
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
			return "", "", fmt.Errorf("%q is not an IPv6 address", host)
		}
		if !strings.HasPrefix(entry[end+1:], ":") {
			return "", "", fmt.Errorf("want [ipv6]:port:proto")
		}
		return host, entry[end+2:], nil
	}
	host, rest, ok := strings.Cut(entry, ":")
	if !ok || host == "" {
		return "", "", fmt.Errorf("want host:port:proto")
	}
	if strings.Count(rest, ":") > 1 {
		return "", "", fmt.Errorf("too many colons; write IPv6 addresses in brackets, as [::1]:443:https")
	}
	if strings.ContainsAny(host, "/ ") {
		return "", "", fmt.Errorf("host %q must be a name or IP address", host)
	}
	return host, rest, nil
}
