package dnsphase

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// Transports.
const (
	transportUDP = "udp"
	transportTCP = "tcp"
	transportDoT = "dot"
	transportDoH = "doh"
)

// Defaults for absent attributes.
const (
	defaultTimeout   = 2 * time.Second
	defaultAttempts  = 2
	defaultEDNS0Size = 1232
	defaultNdots     = 1
	maxAttempts      = 10
	maxNdots         = 15
)

// schema is the config schema Describe returns.
var schema = []sdk.Attribute{
	{Name: "servers", Type: sdk.List(sdk.String), Description: `resolvers: "ip" or "ip:port" (port 53, 853 for dot); https URLs for doh. Default: /etc/resolv.conf`},
	{Name: "transport", Type: sdk.String, Description: `"udp" (default), "tcp", "dot" (DNS over TLS) or "doh" (DNS over HTTPS)`},
	{Name: "timeout", Type: sdk.String, Description: `time allowed for each query, e.g. "500ms" (default "2s")`},
	{Name: "attempts", Type: sdk.Int, Description: "tries per server before moving on to the next one (default 2)"},
	{Name: "families", Type: sdk.List(sdk.String), Description: `address families to query: "ipv4" (A), "ipv6" (AAAA); default both`},
	{Name: "prefer", Type: sdk.String, Description: `family listed first in the returned addresses: "ipv6" (default) or "ipv4"`},
	{Name: "edns0_size", Type: sdk.Int, Description: "EDNS0 UDP payload size advertised (default 1232; 0 disables EDNS0)"},
	{Name: "search", Type: sdk.List(sdk.String), Description: "search domains for names that are not fully qualified"},
	{Name: "ndots", Type: sdk.Int, Description: "names with at least this many dots are tried as given before the search domains (default 1)"},
	{Name: "hosts_file", Type: sdk.String, Path: true, Description: "file in /etc/hosts format consulted before any query (default none)"},
	{Name: "tls_server_name", Type: sdk.String, Description: "name the dot/doh server's certificate is verified against (default: the server's host)"},
	{Name: "ca_file", Type: sdk.String, Path: true, Description: "PEM file of CA certificates trusted for dot/doh (default: the system roots)"},
	{Name: "bootstrap", Type: sdk.List(sdk.String), Description: "IP addresses dialled for the doh server instead of resolving its host name"},
	{Name: "cache", Type: sdk.Bool, Description: "keep answers for their TTL across runs in this process (default false)"},
}

// rawConfig is the config as decoded from JSON. Pointers and nil slices tell
// an absent attribute from a zero value.
type rawConfig struct {
	Servers       []string `json:"servers"`
	Transport     *string  `json:"transport"`
	Timeout       *string  `json:"timeout"`
	Attempts      *float64 `json:"attempts"`
	Families      []string `json:"families"`
	Prefer        *string  `json:"prefer"`
	EDNS0Size     *float64 `json:"edns0_size"`
	Search        []string `json:"search"`
	Ndots         *float64 `json:"ndots"`
	HostsFile     *string  `json:"hosts_file"`
	TLSServerName *string  `json:"tls_server_name"`
	CAFile        *string  `json:"ca_file"`
	Bootstrap     []string `json:"bootstrap"`
	Cache         *bool    `json:"cache"`
}

// settings is a validated config.
type settings struct {
	servers   []string // "ip:port", or https URLs for doh
	transport string
	timeout   time.Duration
	attempts  int
	qtypes    []uint16 // dns.TypeA / dns.TypeAAAA, in the order configured
	preferV4  bool
	edns0Size uint16 // 0: no EDNS0
	search    []string
	ndots     int
	hosts     hostsTable
	hostsPath string      // the file hosts came from; "" for none
	tls       *tls.Config // dot and doh only
	bootstrap []netip.Addr
	cache     bool
}

// errorList collects one error per bad attribute.
type errorList []error

func (l *errorList) add(attribute, format string, args ...any) {
	*l = append(*l, sdk.AttributeErrorf(attribute, format, args...))
}

// parseConfig decodes and validates cfg. The system's files are read when
// servers is absent: resolv.conf for the servers, and the hosts file unless
// hosts_file names another.
func parseConfig(cfg sdk.Config, sys system) (*settings, error) {
	var raw rawConfig
	if err := json.Unmarshal(cfg.JSON(), &raw); err != nil {
		return nil, decodeError(err)
	}
	var errs errorList
	s := &settings{cache: raw.Cache != nil && *raw.Cache}
	s.transport = parseTransport(raw.Transport, &errs)
	s.timeout = parseTimeout(raw.Timeout, &errs)
	s.attempts = parseWhole(raw.Attempts, "attempts", defaultAttempts, 1, maxAttempts, &errs)
	s.qtypes = parseFamilies(raw.Families, &errs)
	s.preferV4 = parsePrefer(raw.Prefer, &errs)
	s.edns0Size = parseEDNS0Size(raw.EDNS0Size, &errs)
	s.ndots = parseWhole(raw.Ndots, "ndots", defaultNdots, 0, maxNdots, &errs)
	s.search = parseSearch(raw.Search, &errs)
	s.hosts, s.hostsPath = parseHostsFile(raw.HostsFile, &errs)
	if raw.HostsFile == nil && raw.Servers == nil {
		s.hosts, s.hostsPath = systemHosts(sys.hosts), sys.hosts
	}
	s.bootstrap = parseBootstrap(raw.Bootstrap, &errs)
	if s.transport != "" {
		checkTransportOptions(raw, s.transport, &errs)
		s.tls = parseTLS(raw.TLSServerName, raw.CAFile, s.transport, &errs)
		s.servers = parseServers(raw, s, sys.resolvConf, &errs)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// decodeError names the attribute a JSON type mismatch is about.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		attr, _, _ := strings.Cut(te.Field, ".")
		return sdk.AttributeErrorf(attr, "wrong type: got a JSON %s, want %s", te.Value, typeName(te.Type))
	}
	return fmt.Errorf("decoding config: %w", err)
}

// typeName names a Go type the way the config schema does.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a bool"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

func parseTransport(raw *string, errs *errorList) string {
	if raw == nil {
		return transportUDP
	}
	switch *raw {
	case transportUDP, transportTCP, transportDoT, transportDoH:
		return *raw
	}
	errs.add("transport", "unknown transport %q (want udp, tcp, dot or doh)", *raw)
	return ""
}

func parseTimeout(raw *string, errs *errorList) time.Duration {
	if raw == nil {
		return defaultTimeout
	}
	d, err := time.ParseDuration(*raw)
	switch {
	case err != nil:
		errs.add("timeout", "invalid duration %q (write e.g. \"500ms\" or \"2s\")", *raw)
	case d <= 0:
		errs.add("timeout", "must be positive, got %q", *raw)
	}
	return d
}

// parseWhole validates a whole number in [lo, hi].
func parseWhole(raw *float64, attribute string, def, lo, hi int, errs *errorList) int {
	if raw == nil {
		return def
	}
	v := *raw
	switch {
	case v != math.Trunc(v):
		errs.add(attribute, "must be a whole number, got %v", v)
	case v < float64(lo) || v > float64(hi):
		errs.add(attribute, "must be between %d and %d, got %v", lo, hi, v)
	}
	return int(v)
}

func parseFamilies(raw []string, errs *errorList) []uint16 {
	if raw == nil {
		return []uint16{dns.TypeA, dns.TypeAAAA}
	}
	if len(raw) == 0 {
		errs.add("families", "must list at least one of \"ipv4\", \"ipv6\"")
	}
	var qtypes []uint16
	seen := map[string]bool{}
	for i, f := range raw {
		attr := fmt.Sprintf("families[%d]", i)
		switch {
		case f != "ipv4" && f != "ipv6":
			errs.add(attr, "unknown family %q (want \"ipv4\" or \"ipv6\")", f)
		case seen[f]:
			errs.add(attr, "%q is listed twice", f)
		default:
			seen[f] = true
			qtypes = append(qtypes, familyQtype(f))
		}
	}
	return qtypes
}

func familyQtype(family string) uint16 {
	if family == "ipv4" {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

func parsePrefer(raw *string, errs *errorList) (preferV4 bool) {
	if raw == nil {
		return false
	}
	if *raw != "ipv4" && *raw != "ipv6" {
		errs.add("prefer", "unknown family %q (want \"ipv4\" or \"ipv6\")", *raw)
	}
	return *raw == "ipv4"
}

func parseEDNS0Size(raw *float64, errs *errorList) uint16 {
	if raw == nil {
		return defaultEDNS0Size
	}
	v := *raw
	if v != 0 && (v != math.Trunc(v) || v < dns.MinMsgSize || v > dns.MaxMsgSize) {
		errs.add("edns0_size", "must be 0 (off) or a whole number between %d and %d, got %v", dns.MinMsgSize, dns.MaxMsgSize, v)
		return 0
	}
	return uint16(v)
}

func parseSearch(raw []string, errs *errorList) []string {
	var out []string
	for i, d := range raw {
		name, err := sdk.ASCIIHost(strings.TrimPrefix(d, "."))
		if _, ok := dns.IsDomainName(name); err != nil || !ok || name == "" || name == "." {
			errs.add(fmt.Sprintf("search[%d]", i), "%q is not a domain name", d)
			continue
		}
		out = append(out, dns.Fqdn(strings.ToLower(name)))
	}
	return out
}

func parseHostsFile(raw *string, errs *errorList) (hostsTable, string) {
	if raw == nil {
		return nil, ""
	}
	table, err := loadHosts(*raw)
	if err != nil {
		errs.add("hosts_file", "%v", err)
	}
	return table, *raw
}

func parseBootstrap(raw []string, errs *errorList) []netip.Addr {
	var out []netip.Addr
	for i, s := range raw {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			errs.add(fmt.Sprintf("bootstrap[%d]", i), "%q is not an IP address", s)
			continue
		}
		out = append(out, addr)
	}
	return out
}

// parseTLS builds the TLS config dot and doh use (nil for the others).
func parseTLS(serverName, caFile *string, transport string, errs *errorList) *tls.Config {
	if transport != transportDoT && transport != transportDoH {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if serverName != nil {
		if *serverName == "" {
			errs.add("tls_server_name", "must not be empty")
		}
		cfg.ServerName = *serverName
	}
	if caFile != nil {
		pool, err := loadCAFile(*caFile)
		if err != nil {
			errs.add("ca_file", "%v", err)
		}
		cfg.RootCAs = pool
	}
	return cfg
}

func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no PEM certificate found in %s", path)
	}
	return pool, nil
}

// checkTransportOptions rejects attributes the transport does not use.
func checkTransportOptions(raw rawConfig, transport string, errs *errorList) {
	secure := transport == transportDoT || transport == transportDoH
	if raw.TLSServerName != nil && !secure {
		errs.add("tls_server_name", "only used with transport \"dot\" or \"doh\", not %q", transport)
	}
	if raw.CAFile != nil && !secure {
		errs.add("ca_file", "only used with transport \"dot\" or \"doh\", not %q", transport)
	}
	if raw.Bootstrap != nil && transport != transportDoH {
		errs.add("bootstrap", "only used with transport \"doh\", not %q", transport)
	}
}
