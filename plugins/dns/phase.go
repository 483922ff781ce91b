// Package dnsphase is probe's DNS phase plugin: it resolves a target's host
// name to the addresses the later phases connect to.
//
// It queries the configured servers (or those of /etc/resolv.conf) over
// UDP, TCP, DNS over TLS or DNS over HTTPS, asking for A and AAAA records
// concurrently. It follows CNAME chains (at most 8 hops), repeats truncated
// UDP answers over TCP, retries each server and then moves on to the next,
// applies search domains to names that are not fully qualified, and can
// answer from a hosts file or from a TTL-honouring cache. localhost and the
// names under it are loopback without a query (RFC 6761 §6.3); with the
// system's configuration (no servers), /etc/hosts comes before any query,
// as the system resolver has it.
//
// # Timing
//
// Result.Duration runs from the first query sent to the last answer
// parsed, since getaddrinfo waits for both A and AAAA (dns.connect_ready is
// the RFC 8305 §3 figure). Dialling (and the TLS handshake for dot and doh)
// is inside it; reading the config and building transports is not. Every
// query dials its own connection: nothing is reused within or between Runs.
// An answer from an IP literal, a localhost name, the hosts file or the
// cache takes the (tiny) time of that lookup.
//
// # Reported attributes
//
//	dns.source           string    where the answer came from: "server", "cache", "hosts", "localhost" or "literal"
//	dns.hosts_file       string    the hosts file that answered
//	dns.server           string    the server that answered (host:port, or the DoH URL)
//	dns.transport        string    "udp", "tcp", "dot" or "doh"
//	dns.bootstrap        string    doh by name: the bootstrap addresses, or "system resolver"
//	dns.rcode            string    response code of the deciding answer: "NOERROR", "NXDOMAIN", ...
//	dns.answers          []string  the addresses, preferred family first
//	dns.cname            []string  the CNAME chain followed, if any
//	dns.ttl              int64     smallest TTL of the records used, in seconds (time left when cached)
//	dns.queries         int64     queries sent, retries and TCP repeats included
//	dns.cached           bool      whether the answer came from the cache
//	dns.truncated_retry  bool      whether a truncated UDP answer was repeated over TCP
//	dns.errors           []string  failures of one family while the other one answered
//	dns.connect_ready    duration  when an RFC 8305 §3 client would have started connecting, if well before the last answer
//
// # Errors
//
// NXDOMAIN is sdk.KindNXDomain, SERVFAIL sdk.KindServFail, no answer in
// time sdk.KindTimeout, a name without an address of the wanted families
// sdk.KindNoAddress, and any other DNS failure (other response codes, CNAME
// loops, transport errors) sdk.KindDNS.
package dnsphase

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/probe-net/probe/sdk"
)

// Name is the phase's name; Version the plugin's.
const (
	Name    = sdk.PhaseDNS
	Version = "0.1.0"
)

// Phase is the DNS phase. Run is safe for concurrent use.
type Phase struct {
	system system           // the system's resolver files, read when servers is absent
	now    func() time.Time // the cache's clock
	state  atomic.Pointer[resolver]
}

// system names the files of the system's resolver configuration.
type system struct {
	resolvConf string // servers, search, ndots
	hosts      string // consulted before any query, as nsswitch's "hosts: files dns"
}

// New returns an unconfigured phase.
func New() *Phase {
	return &Phase{system: system{resolvConf: "/etc/resolv.conf", hosts: "/etc/hosts"}, now: time.Now}
}

// Describe implements sdk.Phase.
func (p *Phase) Describe() sdk.Description {
	return sdk.Description{
		Name:    Name,
		Version: Version,
		Summary: "Resolves the host name over UDP, TCP, DNS over TLS or DNS over HTTPS",
		Schema:  schema,
		Reads:   sdk.ReadsNone,
	}
}

// Configure implements sdk.Phase. A rejected config leaves the previous
// one in place.
func (p *Phase) Configure(cfg sdk.Config) error {
	s, err := parseConfig(cfg, p.system)
	if err != nil {
		return err
	}
	p.state.Store(newResolver(s, p.now))
	return nil
}

// Run implements sdk.Phase: it resolves req.Target.Host.
func (p *Phase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	r := p.state.Load()
	if r == nil {
		return nil, sdk.Errorf(sdk.KindInternal, "run before configure")
	}
	return r.resolve(ctx, req.Target.Host)
}
