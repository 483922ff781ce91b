package dnsphase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// Errors found while following CNAME records.
var (
	errCNAMELoop    = errors.New("cname loop")
	errCNAMETooLong = fmt.Errorf("cname chain longer than %d", maxCNAMEHops)
)

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
// run's context, not the per-query one.
func exchangeError(ctx context.Context, err error, qname string, qtype uint16, server string, timeout time.Duration) error {
	q := question(qname, qtype)
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return sdk.Errorf(sdk.KindCanceled, "canceled: %s: the run was interrupted (server %s): %w", q, server, err)
	case deadlinePassed(ctx):
		return sdk.Errorf(sdk.KindTimeout, "timeout: %s: the probe deadline passed (server %s): %w", q, server, err)
	case sdk.IsTimeout(err):
		return sdk.Errorf(sdk.KindTimeout, "timeout: %s: no answer within %v (server %s): %w", q, timeout, server, err)
	}
	return sdk.Errorf(sdk.KindDNS, "dns: %s: %w (server %s)", q, err, server)
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
