package dnsphase

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// Where an answer came from (the dns.source attribute).
const (
	sourceLiteral   = "literal"   // the host was an IP address
	sourceLocalhost = "localhost" // a localhost name: loopback, RFC 6761 §6.3
	sourceHosts     = "hosts"     // hosts_file, or the system's hosts file
	sourceCache     = "cache"     // an earlier answer still within its TTL
	sourceServer    = "server"    // a query
)

// resolution is what one Run learned, success or not.
type resolution struct {
	source    string
	addrs     []netip.Addr
	chain     []string // CNAME targets, in order
	ttl       int64    // seconds; -1 when unknown
	rcode     int      // -1 when no response was parsed
	server    string
	transport string
	attempts  int64
	truncated bool
	failures  []string // errors of families that failed while another answered
	hostsFile string   // the hosts file that answered
	bootstrap string   // how the DoH server's own name was resolved
	// connectReady is when an RFC 8305 client would have started
	// connecting, if well before the last answer; else 0.
	connectReady time.Duration
}

func newResolution(source string) *resolution {
	return &resolution{source: source, ttl: -1, rcode: -1}
}

// result wraps r in an sdk.Result measured at d.
func (r *resolution) result(d time.Duration) *sdk.Result {
	return &sdk.Result{Duration: d, Addresses: r.addrs, Attributes: r.attributes()}
}

func (r *resolution) attributes() sdk.Attributes {
	a := sdk.Attributes{
		sdk.AttrDNSSource:  r.source,
		sdk.AttrDNSCached:  r.source == sourceCache,
		sdk.AttrDNSQueries: r.attempts,
	}
	setIf(a, sdk.AttrDNSAnswers, addrStrings(r.addrs), len(r.addrs) > 0)
	setIf(a, sdk.AttrDNSCNAME, r.chain, len(r.chain) > 0)
	setIf(a, sdk.AttrDNSServer, r.server, r.server != "")
	setIf(a, sdk.AttrDNSTransport, r.transport, r.transport != "")
	setIf(a, sdk.AttrDNSRcode, rcodeName(r.rcode), r.rcode >= 0)
	setIf(a, sdk.AttrDNSTTL, r.ttl, r.ttl >= 0)
	setIf(a, sdk.AttrDNSTruncatedRetry, r.truncated, r.source == sourceServer)
	setIf(a, sdk.AttrDNSErrors, r.failures, len(r.failures) > 0)
	setIf(a, sdk.AttrDNSHostsFile, r.hostsFile, r.hostsFile != "")
	setIf(a, sdk.AttrDNSBootstrap, r.bootstrap, r.bootstrap != "")
	setIf(a, sdk.AttrDNSConnectReady, r.connectReady, r.connectReady > 0)
	return a
}

func setIf(a sdk.Attributes, key string, v any, ok bool) {
	if ok {
		a[key] = v
	}
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, addr := range addrs {
		out[i] = addr.String()
	}
	return out
}

func rcodeName(rcode int) string {
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}

// ordered returns addrs with the preferred family first, keeping the order
// within each family.
func ordered(addrs []netip.Addr, preferV4 bool) []netip.Addr {
	out := slices.Clone(addrs)
	slices.SortStableFunc(out, func(a, b netip.Addr) int {
		return familyRank(a, preferV4) - familyRank(b, preferV4)
	})
	return out
}

func familyRank(addr netip.Addr, preferV4 bool) int {
	if addr.Unmap().Is4() == preferV4 {
		return 0
	}
	return 1
}

// displayName is a name as people write it: no trailing dot.
func displayName(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}
