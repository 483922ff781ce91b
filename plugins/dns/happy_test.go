//go:build linux

package dnsphase

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestConnectReadyFollowsRFC8305(t *testing.T) {
	ms := time.Millisecond
	addr := []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	a := func(at time.Duration, ok bool) answer {
		x := answer{qtype: dns.TypeA, at: at}
		if ok {
			x.addrs = addr
		}
		return x
	}
	aaaa := func(at time.Duration, ok bool) answer {
		x := a(at, ok)
		x.qtype = dns.TypeAAAA
		return x
	}
	for _, tc := range []struct {
		name     string
		answers  []answer
		preferV4 bool
		want     time.Duration
	}{
		{"A in, AAAA never", []answer{a(1*ms, true), aaaa(4000*ms, false)}, false, 51 * ms},
		{"A in, AAAA 200 ms later", []answer{a(1*ms, true), aaaa(200*ms, true)}, false, 51 * ms},
		{"A in, AAAA 80 ms later: within the delay of the end", []answer{a(1*ms, true), aaaa(80*ms, true)}, false, 0},
		{"AAAA first: at once", []answer{a(100*ms, true), aaaa(10*ms, true)}, false, 10 * ms},
		{"AAAA first, A right after", []answer{a(12*ms, true), aaaa(10*ms, true)}, false, 0},
		{"AAAA within the delay", []answer{a(1*ms, true), aaaa(30*ms, true)}, false, 0},
		{"AAAA NODATA within the delay", []answer{a(1*ms, true), aaaa(20*ms, false)}, false, 0},
		{"prefer ipv4 swaps the roles", []answer{a(200*ms, true), aaaa(1*ms, true)}, true, 51 * ms},
		{"nothing answered", []answer{a(5*ms, false), aaaa(900*ms, false)}, false, 0},
		{"one family asked", []answer{a(5*ms, true)}, false, 0},
	} {
		if got := connectReady(tc.answers, tc.preferV4); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A answered at once and AAAA never: the phase ends at the last answer (the
// AAAA timeout), as getaddrinfo does, and says when an RFC 8305 client would
// have started connecting, and why the phase took longer.
func TestDroppedAAAAIsExplainedAndTheRFC8305FigureReported(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Question[0].Qtype == dns.TypeA {
			zone.ServeDNS(w, r)
		}
	}))
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "timeout": "1s", "attempts": 1})
	res := mustResolve(t, h, "www.probe.test")
	errs, _ := res.Attributes["dns.errors"].([]string)
	if addrList(res) != "[192.0.2.1]" || len(errs) != 1 || !strings.HasPrefix(errs[0], "timeout: www.probe.test AAAA: no answer within 1s") {
		t.Errorf("addresses %s, dns.errors %q; want the A answer and the AAAA timeout", addrList(res), errs)
	}
	ready, ok := res.Attributes["dns.connect_ready"].(time.Duration)
	if !ok || ready < resolutionDelay || ready >= res.Duration {
		t.Errorf("dns.connect_ready = %v (duration %v); want the A answer plus the 50 ms resolution delay, before the phase's end", res.Attributes["dns.connect_ready"], res.Duration)
	}
}
