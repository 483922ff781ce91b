package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Zone is the zone the testbed DNS server is authoritative for. The .test
// TLD is reserved for testing (RFC 6761) and never resolves on the Internet.
const Zone = "probe.test."

// answerTTL is the TTL of every record the server returns.
const answerTTL = 60

// zone holds the testbed's records by owner name (lower case, fully
// qualified).
type zone map[string][]dns.RR

func newZone() zone {
	z := zone{}
	for _, rr := range []string{
		"probe.test. SOA ns.probe.test. hostmaster.probe.test. 1 3600 600 86400 60",
		"www.probe.test. A 127.0.0.1",
		"secure.probe.test. A 127.0.0.1",
		"xn--bcher-kva.probe.test. A 127.0.0.1", // bücher.probe.test
		"alias.probe.test. CNAME www.probe.test.",
		"v6.probe.test. AAAA ::1",
	} {
		r, err := dns.NewRR(fmt.Sprintf("$TTL %d\n%s", answerTTL, rr))
		if err != nil {
			panic(fmt.Sprintf("testbed zone record %q: %v", rr, err)) // a bug in the literal above
		}
		name := r.Header().Name
		z[name] = append(z[name], r)
	}
	return z
}

// answer resolves one question inside the zone, following CNAMEs that stay
// in the zone. It returns the rcode and the answer records.
func (z zone) answer(q dns.Question) (int, []dns.RR) {
	name := strings.ToLower(q.Name)
	switch {
	case !dns.IsSubDomain(Zone, name):
		return dns.RcodeRefused, nil
	case name == "servfail."+Zone:
		return dns.RcodeServerFailure, nil
	}
	var answer []dns.RR
	for hops := 0; hops < 8; hops++ { // bounded: no CNAME loops
		rrs, ok := z[name]
		if !ok {
			if hops == 0 {
				return dns.RcodeNameError, nil
			}
			return dns.RcodeSuccess, answer
		}
		answer = append(answer, matching(rrs, q.Qtype)...)
		cname, isAlias := rrs[0].(*dns.CNAME)
		if !isAlias || q.Qtype == dns.TypeCNAME {
			return dns.RcodeSuccess, answer
		}
		name = strings.ToLower(cname.Target)
	}
	return dns.RcodeServerFailure, nil
}

// matching returns the records of type qtype among rrs, and any CNAME
// (which answers every type).
func matching(rrs []dns.RR, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		t := rr.Header().Rrtype
		if t == qtype || t == dns.TypeCNAME || qtype == dns.TypeANY {
			out = append(out, dns.Copy(rr))
		}
	}
	return out
}

// Transports, as DNSQuery.Net records them.
const (
	NetUDP   = "udp"   // plain DNS over UDP
	NetTCP   = "tcp"   // plain DNS over TCP
	NetTLS   = "tls"   // DNS over TLS (RFC 7858)
	NetHTTPS = "https" // DNS over HTTPS (RFC 8484)
)

// dnsHandler answers queries from the zone and records them.
type dnsHandler struct {
	zone     zone
	counters *counters
	net      string // recorded as DNSQuery.Net; "" takes the connection's network
}

func (h *dnsHandler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	network := h.net
	if network == "" {
		network = w.RemoteAddr().Network() // "udp" or "tcp"
	}
	_ = w.WriteMsg(h.reply(req, network))
}

// reply records the question of req as received over network and returns
// the answer.
func (h *dnsHandler) reply(req *dns.Msg, network string) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	h.counters.addQuery(DNSQuery{Name: q.Name, Type: dns.TypeToString[q.Qtype], Net: network})
	m.Rcode, m.Answer = h.zone.answer(q)
	if m.Rcode == dns.RcodeRefused {
		m.Authoritative = false
	}
	if len(m.Answer) == 0 && (m.Rcode == dns.RcodeSuccess || m.Rcode == dns.RcodeNameError) {
		m.Ns = []dns.RR{dns.Copy(h.zone[Zone][0])} // the SOA, for negative caching
	}
	if req.IsEdns0() != nil {
		m.SetEdns0(1232, false)
	}
	return m
}

// dnsServers is the UDP and TCP pair listening on one port. With noUDP,
// the UDP socket is bound but only drained by a blackhole: nothing answers.
type dnsServers struct {
	addr      string
	pc        net.PacketConn
	ln        net.Listener
	udp, tcp  *dns.Server // udp is nil with noUDP
	blackhole *blackhole  // nil unless noUDP
}

// startDNS starts the DNS server on 127.0.0.1, UDP and TCP on the same
// port. It binds UDP first on a free port, then TCP on that port, retrying
// with a fresh port when the TCP port is taken. With noUDP, the UDP port
// stays bound (so no other program can take it and answer) but every
// datagram is dropped, like a firewall's DROP rule: a UDP query times out.
func startDNS(h dns.Handler, c *counters, noUDP bool) (*dnsServers, error) {
	var errs []error
	for attempt := 0; attempt < 5; attempt++ {
		pc, ln, err := bindDNS(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s := &dnsServers{
			addr: pc.LocalAddr().String(),
			pc:   pc,
			ln:   ln,
			tcp:  &dns.Server{Listener: ln, Handler: h, ReadTimeout: 5 * time.Second},
		}
		if noUDP {
			s.blackhole = startBlackhole(pc, c)
		} else {
			s.udp = &dns.Server{PacketConn: pc, Handler: h}
		}
		if err := activate(s.servers()...); err != nil {
			s.close()
			return nil, fmt.Errorf("starting the DNS server: %w", err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("starting the DNS server: %w", errors.Join(errs...))
}

func bindDNS(c *counters) (net.PacketConn, net.Listener, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return nil, nil, err
	}
	return pc, &countingListener{Listener: ln, server: ServerDNS, counters: c}, nil
}

// servers returns the dns.Servers in use: TCP, and UDP unless noUDP.
func (s *dnsServers) servers() []*dns.Server {
	if s.udp == nil {
		return []*dns.Server{s.tcp}
	}
	return []*dns.Server{s.udp, s.tcp}
}

func (s *dnsServers) close() error {
	err := shutdown(s.servers()...)
	// A server that never started still holds its socket.
	s.pc.Close()
	s.ln.Close()
	if s.blackhole != nil {
		s.blackhole.wait()
	}
	return err
}

// activate serves each server in the background and waits until all are
// listening. On failure the caller closes them.
func activate(servers ...*dns.Server) error {
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			return err
		case <-time.After(5 * time.Second):
			return errors.New("timed out")
		}
	}
	return nil
}

// shutdown stops the servers, waiting up to 5 seconds for their
// connections to end. A server that never started is not an error.
func shutdown(servers ...*dns.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.ShutdownContext(ctx); err != nil && !strings.Contains(err.Error(), "server not started") {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// blackhole reads and discards every datagram on a UDP socket, counting
// them, until the socket is closed.
type blackhole struct {
	done chan struct{}
}

func startBlackhole(pc net.PacketConn, c *counters) *blackhole {
	b := &blackhole{done: make(chan struct{})}
	go func() {
		defer close(b.done)
		buf := make([]byte, 64<<10)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return // closed; anything else: the kernel drops from here on
			}
			c.addDroppedUDP()
		}
	}()
	return b
}

// wait returns once the socket is closed and the reader has stopped.
func (b *blackhole) wait() { <-b.done }
