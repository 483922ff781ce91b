//go:build linux

package soak

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Zone is the zone the bed's DNS server answers for. .test is reserved for
// testing (RFC 6761): it never resolves on the Internet.
const Zone = "soak.test."

// Names in Zone and how the server answers each (lower case, without the
// zone). Every other name in the zone is NXDOMAIN; names outside it REFUSED.
const (
	NameOK       = "www"      // A 127.0.0.1
	NameExpired  = "expired"  // A 127.0.0.1 (the server with the expired certificate)
	NameNX       = "nx"       // NXDOMAIN
	NameServFail = "servfail" // SERVFAIL
	NameBadID    = "badid"    // an answer with another message id: never accepted, the query times out
	NameLoop     = "loop-a"   // CNAME loop-b, which is CNAME loop-a
)

// Host returns name's fully qualified host name without the final dot,
// as a targets file writes it: "www" gives "www.soak.test".
func Host(name string) string { return name + "." + strings.TrimSuffix(Zone, ".") }

// dnsHandler answers from the table above and counts queries.
type dnsHandler struct {
	queries atomic.Int64
}

func (h *dnsHandler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	h.queries.Add(1)
	_ = w.WriteMsg(answer(req))
}

// answer builds the reply to req, with an id other than req's for
// NameBadID (a resolver must discard it, RFC 5452 §4.3).
func answer(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if !dns.IsSubDomain(Zone, name) {
		m.Authoritative = false
		m.Rcode = dns.RcodeRefused
		return m
	}
	switch label := strings.TrimSuffix(name, "."+Zone); label {
	case NameOK, NameExpired:
		if q.Qtype == dns.TypeA {
			m.Answer = []dns.RR{rr("%s 60 IN A 127.0.0.1", q.Name)}
		}
	case NameServFail:
		m.Rcode = dns.RcodeServerFailure
	case NameBadID:
		m.Answer = []dns.RR{rr("%s 60 IN A 127.0.0.1", q.Name)}
		m.Id = req.Id + 1
	case NameLoop, "loop-b":
		other := map[string]string{NameLoop: "loop-b", "loop-b": NameLoop}[label]
		m.Answer = []dns.RR{rr("%s 60 IN CNAME %s", q.Name, other+"."+Zone)}
	default:
		m.Rcode = dns.RcodeNameError
	}
	if len(m.Answer) == 0 && m.Rcode != dns.RcodeServerFailure {
		m.Ns = []dns.RR{rr("%s 60 IN SOA ns.%[1]s hostmaster.%[1]s 1 3600 600 86400 60", Zone)}
	}
	if req.IsEdns0() != nil {
		m.SetEdns0(1232, false)
	}
	return m
}

// rr parses a record written with the format and args; the formats above
// are constants, so an error is a bug here.
func rr(format string, args ...any) dns.RR {
	r, err := dns.NewRR(fmt.Sprintf(format, args...))
	if err != nil {
		panic(fmt.Sprintf("soak zone record: %v", err))
	}
	return r
}

// dnsServer is the handler on UDP at one port of 127.0.0.1 (the soak's
// resolver config uses UDP only).
type dnsServer struct {
	addr    string
	handler *dnsHandler
	srv     *dns.Server
}

func startDNS() (*dnsServer, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the DNS server: %w", err)
	}
	h := &dnsHandler{}
	s := &dnsServer{addr: pc.LocalAddr().String(), handler: h}
	started := make(chan struct{})
	s.srv = &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.ActivateAndServe() }()
	select {
	case <-started:
		return s, nil
	case err := <-errc:
		pc.Close()
		return nil, fmt.Errorf("starting the DNS server: %w", err)
	case <-time.After(5 * time.Second):
		pc.Close()
		return nil, errors.New("starting the DNS server: not serving after 5s")
	}
}

// close stops the server within 5 seconds.
func (s *dnsServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.ShutdownContext(ctx)
}
