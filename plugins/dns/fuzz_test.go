//go:build linux

package dnsphase

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// rawServer answers every query, over UDP and over TCP on the same port,
// with whatever bytes answer holds, the query's ID written over the first
// two: a server that can say anything.
type rawServer struct {
	addr   string
	answer atomic.Pointer[[]byte]
}

func startRawServer(tb testing.TB) *rawServer {
	tb.Helper()
	pc, ln, err := udpAndTCP()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pc.Close(); ln.Close() })
	s := &rawServer{addr: pc.LocalAddr().String()}
	s.answer.Store(&[]byte{})
	go s.serveUDP(pc)
	go s.serveTCP(ln)
	return s
}

// udpAndTCP listens on a loopback port free for both UDP and TCP. The
// kernel picks the UDP port; its TCP twin may be taken, so it tries again.
func udpAndTCP() (net.PacketConn, net.Listener, error) {
	var err error
	for range 20 {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, nil, err
		}
		var ln net.Listener
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			return pc, ln, nil
		}
		pc.Close()
	}
	return nil, nil, err
}

func (s *rawServer) reply(query []byte) []byte {
	out := append([]byte(nil), *s.answer.Load()...)
	if len(out) >= 2 && len(query) >= 2 {
		copy(out, query[:2])
	}
	return out
}

func (s *rawServer) serveUDP(pc net.PacketConn) {
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = pc.WriteTo(s.reply(buf[:n]), from)
	}
}

func (s *rawServer) serveTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			var size [2]byte
			if _, err := io.ReadFull(c, size[:]); err != nil {
				return
			}
			query := make([]byte, binary.BigEndian.Uint16(size[:]))
			if _, err := io.ReadFull(c, query); err != nil {
				return
			}
			out := s.reply(query)
			out = out[:min(len(out), 65535)]
			_, _ = c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(out))), out...))
		}()
	}
}

const fuzzName = "fuzz.probe.test."

// fuzzSeeds are answers to fuzzName A worth starting from.
func fuzzSeeds(tb testing.TB) [][]byte {
	q := new(dns.Msg)
	q.SetQuestion(fuzzName, dns.TypeA)
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			tb.Fatal(err)
		}
		return r
	}
	var seeds [][]byte
	add := func(edit func(m *dns.Msg)) {
		m := new(dns.Msg)
		m.SetReply(q)
		edit(m)
		b, err := m.Pack()
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	add(func(m *dns.Msg) { m.Answer = []dns.RR{rr(fuzzName + " 60 IN A 192.0.2.1")} })
	add(func(m *dns.Msg) {
		m.Answer = []dns.RR{rr(fuzzName + " 60 IN CNAME mid.probe.test."), rr("mid.probe.test. 30 IN A 192.0.2.2")}
	})
	add(func(m *dns.Msg) { m.Answer = []dns.RR{rr(fuzzName + " 60 IN CNAME elsewhere.test.")} })
	add(func(m *dns.Msg) { m.Answer = []dns.RR{rr(fuzzName + " 60 IN CNAME " + fuzzName)} })
	add(func(m *dns.Msg) { m.Rcode = dns.RcodeNameError })
	add(func(m *dns.Msg) { m.Rcode = dns.RcodeServerFailure })
	add(func(m *dns.Msg) { m.Rcode = dns.RcodeFormatError })
	add(func(m *dns.Msg) { m.Truncated = true })
	add(func(m *dns.Msg) { m.RecursionAvailable = true })
	add(func(m *dns.Msg) { m.Question[0].Name = "other.test." })
	add(func(m *dns.Msg) { m.Answer = []dns.RR{rr(fuzzName + " 60 IN AAAA 2001:db8::1")} })
	add(func(m *dns.Msg) {
		for i := range 100 {
			m.Answer = append(m.Answer, rr(fmt.Sprintf("%s 60 IN A 10.0.%d.%d", fuzzName, i/200, i%200)))
		}
	})
	return append(seeds, []byte{}, []byte{0, 1}, make([]byte, 12))
}

// FuzzAnswer runs the dns phase against a server that answers with
// arbitrary bytes (the query's ID in front), over UDP and, after a
// truncated answer, TCP. Whatever the server says: no panic; the phase
// ends within its budget; it succeeds with addresses or fails with a
// classified error.
func FuzzAnswer(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	srv := startRawServer(f)
	p := New()
	cfg := fmt.Sprintf(`{"servers": [%q], "timeout": "300ms", "attempts": 1, "families": ["ipv4"]}`, srv.addr)
	if err := p.Configure(sdk.NewConfig([]byte(cfg))); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, answer []byte) {
		srv.answer.Store(&answer)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		res, err := p.Run(ctx, &sdk.Request{Target: sdk.Target{Name: "f", Host: fuzzName, Port: 80, Protocol: "http"}})
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("the phase took %v", took)
		}
		if err != nil {
			var se *sdk.Error
			if !errors.As(err, &se) || se.Kind == "" {
				t.Fatalf("unclassified error %T: %v", err, err)
			}
			return
		}
		answers, _ := res.Attributes["dns.answers"].([]string)
		if len(answers) == 0 {
			t.Fatalf("success without addresses: %v", res.Attributes)
		}
		for _, a := range answers {
			if addr, err := netip.ParseAddr(a); err != nil || !addr.Is4() {
				t.Fatalf("answer %q", a)
			}
		}
	})
}
