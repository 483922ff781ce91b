package dnsphase

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// maxCNAMEHops bounds the CNAME records followed for one question.
const maxCNAMEHops = 8

// answer is the outcome of resolving one name for one address type,
// CNAME records followed.
type answer struct {
	name   string // the name asked first
	qtype  uint16
	addrs  []netip.Addr
	chain  []string // CNAME targets, in order
	ttl    uint32   // smallest TTL of the records used
	hasTTL bool
	rcode  int           // of the last response; -1 when none
	server string        // that sent the last response, or was last tried
	err    error         // classified (sdk.Error)
	at     time.Duration // when the answer was complete, from the lookup's start
}

// follow asks for name's qtype records and follows CNAME records, within
// each response and, when a chain leaves a response, with a new query.
//
// An NXDOMAIN that comes with a CNAME chain is about the chain's last name
// (RFC 6604 §3), but only a server that followed the chain can know that
// name is missing: a recursive one (RA set). A server that did not recurse
// answered from its own zones and is not authoritative for a target
// outside them, so the target is asked for, as for a NOERROR chain.
func (l *lookup) follow(ctx context.Context, name string, qtype uint16) answer {
	a := answer{name: name, qtype: qtype, rcode: -1}
	visited := map[string]bool{dns.CanonicalName(name): true}
	for qname := name; qname != ""; {
		if isLocalhost(qname) { // a chain into localhost: RFC 6761 §6.3
			a.addrs = loopback([]uint16{qtype})
			return a
		}
		resp, server, err := l.ask(ctx, qname, qtype)
		a.server = server
		if err != nil {
			a.err = err
			return a
		}
		a.rcode = resp.Rcode
		if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
			a.err = rcodeError(resp.Rcode, qname, qtype, server)
			return a
		}
		next, err := a.absorb(resp, qname, visited)
		if err != nil {
			a.err = cnameError(err, name, qtype, server)
			return a
		}
		if resp.Rcode == dns.RcodeNameError && (next == "" || resp.RecursionAvailable) {
			// Blame the name that is missing: with "www CNAME v4" and
			// v4 absent, www itself exists.
			a.err = rcodeError(resp.Rcode, cmp.Or(next, qname), qtype, server)
			return a
		}
		qname = next
	}
	return a
}

// absorb takes the addresses (and CNAME records leading to them) that
// answer qname. It returns the name still to be asked when the chain leads
// out of this response, or "" when done. A recursive resolver's answer (RA
// set) has followed the chain already: if it ends without records of the
// type, that is final (NODATA, RFC 2308 §2.2) and nothing is asked again.
func (a *answer) absorb(resp *dns.Msg, qname string, visited map[string]bool) (string, error) {
	owner := qname
	for !a.takeAddrs(resp.Answer, owner) {
		target, ok := a.takeCNAME(resp.Answer, owner)
		if !ok {
			break
		}
		if err := visit(visited, target); err != nil {
			return "", err
		}
		owner = target
	}
	if len(a.addrs) > 0 || owner == qname {
		return "", nil
	}
	if resp.RecursionAvailable && resp.Rcode == dns.RcodeSuccess {
		return "", nil
	}
	return owner, nil
}

func (a *answer) takeAddrs(rrs []dns.RR, owner string) bool {
	for _, rr := range rrs {
		if addr, ok := rrAddr(rr, a.qtype); ok && sameName(rr.Header().Name, owner) {
			a.addrs = append(a.addrs, addr)
			a.noteTTL(rr.Header().Ttl)
		}
	}
	return len(a.addrs) > 0
}

func (a *answer) takeCNAME(rrs []dns.RR, owner string) (string, bool) {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok && sameName(c.Hdr.Name, owner) {
			a.noteTTL(c.Hdr.Ttl)
			a.chain = append(a.chain, displayName(c.Target))
			return c.Target, true
		}
	}
	return "", false
}

func (a *answer) noteTTL(ttl uint32) {
	if !a.hasTTL || ttl < a.ttl {
		a.ttl, a.hasTTL = ttl, true
	}
}

// visit records a CNAME target, failing on loops and overlong chains.
func visit(visited map[string]bool, name string) error {
	key := dns.CanonicalName(name)
	switch {
	case visited[key]:
		return fmt.Errorf("%w: %s is reached twice", errCNAMELoop, displayName(name))
	case len(visited) > maxCNAMEHops:
		return errCNAMETooLong
	}
	visited[key] = true
	return nil
}

func rrAddr(rr dns.RR, qtype uint16) (netip.Addr, bool) {
	switch v := rr.(type) {
	case *dns.A:
		if qtype == dns.TypeA {
			return netip.AddrFromSlice(v.A.To4())
		}
	case *dns.AAAA:
		if qtype == dns.TypeAAAA {
			return netip.AddrFromSlice(v.AAAA.To16())
		}
	}
	return netip.Addr{}, false
}

func sameName(a, b string) bool {
	return dns.CanonicalName(a) == dns.CanonicalName(b)
}
