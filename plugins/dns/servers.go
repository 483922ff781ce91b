package dnsphase

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// parseServers validates the servers attribute, or reads resolvConf when
// it is absent (and then also takes search and ndots from there unless set).
func parseServers(raw rawConfig, s *settings, resolvConf string, errs *errorList) []string {
	if raw.Servers == nil {
		return serversFromResolvConf(raw, s, resolvConf, errs)
	}
	if len(raw.Servers) == 0 {
		errs.add("servers", "must list at least one server")
	}
	var out []string
	for i, srv := range raw.Servers {
		addr, err := parseServer(srv, s.transport)
		if err != nil {
			errs.add(fmt.Sprintf("servers[%d]", i), "%v", err)
			continue
		}
		out = append(out, addr)
	}
	return out
}

func serversFromResolvConf(raw rawConfig, s *settings, path string, errs *errorList) []string {
	if s.transport == transportDoH {
		errs.add("servers", "required with transport \"doh\" (list https URLs)")
		return nil
	}
	rc, err := dns.ClientConfigFromFile(path)
	if err == nil && len(rc.Servers) == 0 {
		err = errors.New("it lists no nameserver")
	}
	if err != nil {
		errs.add("servers", "not set, and reading %s failed: %v", path, err)
		return nil
	}
	if raw.Search == nil {
		s.search = parseSearch(rc.Search, errs)
	}
	if raw.Ndots == nil {
		s.ndots = rc.Ndots
	}
	return resolvConfServers(rc.Servers, path, s.transport, errs)
}

func resolvConfServers(servers []string, path, transport string, errs *errorList) []string {
	var out []string
	for _, srv := range servers {
		addr, err := parseServer(srv, transport)
		if err != nil {
			errs.add("servers", "not set, and %s has a bad nameserver: %v", path, err)
			continue
		}
		out = append(out, addr)
	}
	return out
}

// bootstrapSystem is dns.bootstrap when a DoH server's name is resolved by
// the system resolver, outside the phase's control and its configuration.
const bootstrapSystem = "system resolver"

// bootstrapOf says how the DoH server at url is reached: "" when it is not
// a DoH server or its URL holds an IP address, the bootstrap addresses
// when they are set, else bootstrapSystem.
func (s *settings) bootstrapOf(server string) string {
	if s.transport != transportDoH {
		return ""
	}
	u, err := url.Parse(server)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	if _, err := netip.ParseAddr(u.Hostname()); err == nil {
		return ""
	}
	if len(s.bootstrap) == 0 {
		return bootstrapSystem
	}
	ips := make([]string, len(s.bootstrap))
	for i, ip := range s.bootstrap {
		ips[i] = ip.String()
	}
	return strings.Join(ips, ", ")
}

// parseServer turns one servers item into what the transport dials.
func parseServer(s, transport string) (string, error) {
	if transport == transportDoH {
		return parseDoHURL(s)
	}
	port := "53"
	if transport == transportDoT {
		port = "853"
	}
	return parseHostPort(s, port)
}

func parseDoHURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%q is not an https URL (write e.g. \"https://dns.example/dns-query\")", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return "", fmt.Errorf("%q has an invalid port %q", s, p)
		}
	}
	return u.String(), nil
}

// parseHostPort accepts "ip", "[ipv6]" and "ip:port".
func parseHostPort(s, defaultPort string) (string, error) {
	host, port := s, defaultPort
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if _, err := netip.ParseAddr(host); err != nil {
		h, p, splitErr := net.SplitHostPort(s)
		if splitErr != nil {
			return "", fmt.Errorf("%q is not an IP address or IP:port", s)
		}
		host, port = h, p
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("%q: %q is not an IP address", s, host)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", fmt.Errorf("%q has an invalid port %q", s, port)
	}
	return net.JoinHostPort(addr.String(), port), nil
}
