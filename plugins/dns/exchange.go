package dnsphase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// lookup is one Run's queries: its transports and counters.
type lookup struct {
	cfg       *settings
	start     time.Time // the first query; answer.at counts from here
	primary   exchanger
	fallback  exchanger // TCP, for truncated UDP answers; nil otherwise
	close     func()
	attempts  atomic.Int64
	truncated atomic.Bool
}

// newLookup builds the transports for one Run. Every query dials its own
// connection, so nothing is reused within or between Runs.
func newLookup(cfg *settings) *lookup {
	l := &lookup{cfg: cfg, close: func() {}}
	switch cfg.transport {
	case transportUDP:
		l.primary, l.fallback = newWireExchanger("udp", cfg), newWireExchanger("tcp", cfg)
	case transportTCP:
		l.primary = newWireExchanger("tcp", cfg)
	case transportDoT:
		l.primary = newWireExchanger("tcp-tls", cfg)
	case transportDoH:
		doh := newDoHExchanger(cfg)
		l.primary, l.close = doh, doh.closeIdle
	}
	return l
}

// reply is the outcome of asking one server.
type reply struct {
	resp   *dns.Msg
	err    error
	server string
}

// final says whether the reply ends the search for an answer: SERVFAIL
// and REFUSED send the question on to the next server.
func (r reply) final() bool {
	return r.err == nil && r.resp.Rcode != dns.RcodeServerFailure && r.resp.Rcode != dns.RcodeRefused
}

// ask sends one question to the servers in order until one gives a final
// reply. It returns the last response received, else the last error.
func (l *lookup) ask(ctx context.Context, qname string, qtype uint16) (*dns.Msg, string, error) {
	msg := l.message(qname, qtype)
	var last reply
	for _, server := range l.cfg.servers {
		r := l.askServer(ctx, msg, server)
		if r.resp != nil || last.resp == nil {
			last = r
		}
		if r.final() || ctx.Err() != nil {
			break
		}
	}
	if last.resp == nil {
		return nil, last.server, exchangeError(ctx, last.err, qname, qtype, last.server, l.cfg.timeout)
	}
	return last.resp, last.server, nil
}

// askServer tries one server up to cfg.attempts times; only a timeout or a
// network error leads to another try.
func (l *lookup) askServer(ctx context.Context, msg *dns.Msg, server string) reply {
	r := reply{server: server, err: ctx.Err()}
	for try := 1; try <= l.cfg.attempts && ctx.Err() == nil; try++ {
		r.resp, r.err = l.once(ctx, msg, server)
		if r.err == nil {
			return r
		}
		sdk.Logger(ctx).Debug("dns query failed", "server", server,
			"question", question(msg.Question[0].Name, msg.Question[0].Qtype), "try", try, "error", r.err)
		if !retriable(r.err) {
			return r // the server answered, badly: asking it again will not help
		}
	}
	return r
}

// retriable reports whether a failed query may succeed if sent again: a
// timeout or a network error, not a malformed answer or an HTTP error status.
func retriable(err error) bool {
	var ne net.Error
	return sdk.IsTimeout(err) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// once sends msg to server, repeating it without EDNS0 when the server
// does not understand EDNS0 (FORMERR or NOTIMP, RFC 6891 §7), and over TCP
// when the UDP answer was truncated (TC) or larger than the payload size
// the query advertised (RFC 7766 §5: a resolver that cannot take an
// answer over UDP asks over TCP).
func (l *lookup) once(ctx context.Context, msg *dns.Msg, server string) (*dns.Msg, error) {
	resp, err := l.exchange(ctx, l.primary, msg, server)
	if err == nil && rejectsEDNS0(msg, resp) {
		msg = withoutEDNS0(msg)
		resp, err = l.exchange(ctx, l.primary, msg, server)
	}
	var oversize *oversizeError
	tooBig := err == nil && resp.Truncated || errors.As(err, &oversize)
	if !tooBig || l.fallback == nil {
		return resp, err
	}
	l.truncated.Store(true)
	udpErr := err
	resp, err = l.exchange(ctx, l.fallback, msg, server)
	if err != nil && udpErr != nil {
		err = &retriedError{udp: udpErr, tcp: err}
	}
	return resp, err
}

// rejectsEDNS0 reports whether resp refuses a query because of its OPT record.
func rejectsEDNS0(msg, resp *dns.Msg) bool {
	return msg.IsEdns0() != nil && resp.IsEdns0() == nil &&
		(resp.Rcode == dns.RcodeFormatError || resp.Rcode == dns.RcodeNotImplemented)
}

// withoutEDNS0 is a copy of msg without its OPT record.
func withoutEDNS0(msg *dns.Msg) *dns.Msg {
	m := msg.Copy()
	extra := m.Extra[:0]
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, rr)
		}
	}
	m.Extra = extra
	return m
}

// exchange is one query within the per-query timeout.
func (l *lookup) exchange(ctx context.Context, ex exchanger, msg *dns.Msg, server string) (*dns.Msg, error) {
	qctx, cancel := context.WithTimeout(ctx, l.cfg.timeout)
	defer cancel()
	l.attempts.Add(1)
	resp, err := ex.exchange(qctx, msg, server)
	if err == nil {
		err = checkQuestion(msg, resp)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// checkQuestion rejects an answer to a different question. Servers may
// leave the question out of error responses.
func checkQuestion(msg, resp *dns.Msg) error {
	if len(resp.Question) == 0 {
		return nil
	}
	q, r := msg.Question[0], resp.Question[0]
	if !sameName(q.Name, r.Name) || q.Qtype != r.Qtype {
		return fmt.Errorf("the answer is for %s, not %s", question(r.Name, r.Qtype), question(q.Name, q.Qtype))
	}
	return nil
}

// message builds the query for qname, with EDNS0 unless disabled.
func (l *lookup) message(qname string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	if l.cfg.edns0Size > 0 {
		m.SetEdns0(l.cfg.edns0Size, false)
	}
	return m
}
