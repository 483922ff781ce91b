package dnsphase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// Errors found while following CNAME records.
var (
	errCNAMELoop    = errors.New("cname loop")
	errCNAMETooLong = fmt.Errorf("cname chain longer than %d", maxCNAMEHops)
)

// oversizeError is a UDP answer larger than the query allowed: the EDNS0
// payload size it advertised (RFC 6891 §6.2.3), or 512 bytes without
// EDNS0 (RFC 1035 §4.2.1). A server must truncate such an answer and set
// TC instead; resolvers ask again over TCP either way.
type oversizeError struct{ size, limit int }

func (e *oversizeError) Error() string {
	rule := "the EDNS0 payload size the query advertised (RFC 6891 §6.2.3)"
	if e.limit <= dns.MinMsgSize {
		rule = "the limit for UDP without EDNS0 (RFC 1035 §4.2.1)"
	}
	return fmt.Sprintf("the UDP answer of %d bytes is larger than %d bytes, %s, and was not truncated (TC)", e.size, e.limit, rule)
}

// malformedError is an answer that does not parse as a DNS message.
type malformedError struct{ cause error }

func (e *malformedError) Error() string {
	return "the answer is not a well-formed DNS message (RFC 1035 §4.1)"
}
func (e *malformedError) Unwrap() error { return e.cause }

// retriedError is a UDP answer that could not be used and the TCP query
// asked in its place, which failed too.
type retriedError struct{ udp, tcp error }

func (e *retriedError) Error() string {
	return describe(e.udp) + "; asked again over TCP (RFC 7766 §5): " + describe(e.tcp)
}
func (e *retriedError) Unwrap() error { return e.tcp }

// question names what was asked, for messages: "www.probe.test AAAA".
func question(qname string, qtype uint16) string {
	return displayName(qname) + " " + dns.TypeToString[qtype]
}

// rcodeError classifies a response code; nil for NOERROR.
func rcodeError(rcode int, qname string, qtype uint16, server string) error {
	switch rcode {
	case dns.RcodeSuccess:
		return nil
	case dns.RcodeNameError:
		return sdk.Errorf(sdk.KindNXDomain, "nxdomain: %s does not exist (server %s)", displayName(qname), server)
	case dns.RcodeServerFailure:
		return sdk.Errorf(sdk.KindServFail, "servfail: %s: the server failed to resolve it (server %s)", question(qname, qtype), server)
	}
	return sdk.Errorf(sdk.KindDNS, "dns: %s: answered %s (server %s)", question(qname, qtype), rcodeName(rcode), server)
}

// exchangeError classifies a query that got no usable answer. ctx is the
// run's context, not the per-query one. The message says what happened in
// the words of the DNS RFCs; err stays in the chain for errors.Is and As.
func exchangeError(ctx context.Context, err error, qname string, qtype uint16, server string, timeout time.Duration) error {
	q := question(qname, qtype)
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return sdk.Errorf(sdk.KindCanceled, "canceled: %s: the run was interrupted (server %s)%w", q, server, sdk.Cause(err))
	case deadlinePassed(ctx):
		return sdk.Errorf(sdk.KindTimeout, "timeout: %s: the probe deadline passed (server %s)%w", q, server, sdk.Cause(err))
	case sdk.IsTimeout(err):
		why := fmt.Sprintf("no answer within %v", timeout)
		var retried *retriedError
		if errors.As(err, &retried) {
			why = describe(retried.udp) + "; asked again over TCP (RFC 7766 §5): " + why
		}
		return sdk.Errorf(sdk.KindTimeout, "timeout: %s: %s (server %s)%w", q, why, server, sdk.Cause(err))
	}
	return sdk.Errorf(sdk.KindDNS, "dns: %s: %s (server %s)%w", q, describe(err), server, sdk.Cause(err))
}

// describe says why an exchange failed, without Go's or the DNS library's
// internals.
func describe(err error) string {
	var (
		oversize  *oversizeError
		malformed *malformedError
		retried   *retriedError
	)
	switch {
	case errors.As(err, &retried), errors.As(err, &oversize), errors.As(err, &malformed):
		return err.Error()
	case errors.Is(err, dns.ErrShortRead):
		return "the answer is shorter than a DNS header (RFC 1035 §4.1.1)"
	case errors.Is(err, dns.ErrId):
		return "the answer's ID is not the query's (RFC 1035 §4.1.1)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens on the server's port"
	case errors.Is(err, syscall.ECONNRESET):
		return "the server reset the connection"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the server closed the connection before the answer was complete"
	case errors.Is(err, net.ErrClosed):
		return "the query was abandoned"
	}
	return err.Error()
}

// deadlinePassed also holds in the instant before ctx's own timer fires, when
// a query context with the same deadline has already given up.
func deadlinePassed(ctx context.Context) bool {
	deadline, ok := ctx.Deadline()
	return errors.Is(ctx.Err(), context.DeadlineExceeded) || ok && !time.Now().Before(deadline)
}

func cnameError(err error, name string, qtype uint16, server string) error {
	return sdk.Errorf(sdk.KindDNS, "dns: %s: %w (server %s)", question(name, qtype), err, server)
}

func isNXDomain(err error) bool { return sdk.Classify(err) == sdk.KindNXDomain }

// nxdomainError reports that no candidate name exists. With a single
// candidate the family's own error says it best.
func nxdomainError(name string, candidates []string, first answer) error {
	if len(candidates) == 1 {
		return first.err
	}
	tried := make([]string, len(candidates))
	for i, c := range candidates {
		tried[i] = displayName(c)
	}
	return sdk.Errorf(sdk.KindNXDomain, "nxdomain: %s does not exist (tried %s; server %s)",
		displayName(name), strings.Join(tried, ", "), first.server)
}

// noAddressError reports a name that exists without the wanted addresses.
func noAddressError(name string, qtypes []uint16, server string) error {
	family := "ipv4 or ipv6"
	if len(qtypes) == 1 {
		family = map[uint16]string{dns.TypeA: "ipv4", dns.TypeAAAA: "ipv6"}[qtypes[0]]
	}
	return sdk.Errorf(sdk.KindNoAddress, "no_address: %s has no %s address (server %s)", displayName(name), family, server)
}
