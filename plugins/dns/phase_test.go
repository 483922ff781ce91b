//go:build linux

package dnsphase

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

func TestDescribe(t *testing.T) {
	d := sdktest.New(t, New()).Describe(t)
	if d.Name != Name || d.Version != Version || d.Summary == "" {
		t.Fatalf("description = %+v", d)
	}
	var names []string
	for _, a := range d.Schema {
		names = append(names, a.Name)
	}
	want := []string{"servers", "transport", "timeout", "attempts", "families", "prefer", "edns0_size",
		"search", "ndots", "hosts_file", "tls_server_name", "ca_file", "bootstrap", "cache"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("config attributes = %v, want %v", names, want)
	}
}

func TestResolvesBothFamiliesConcurrently(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}})

	res := mustResolve(t, h, "www.probe.test")
	if got := addrList(res); got != "[2001:db8::1 192.0.2.1]" {
		t.Errorf("addresses = %s, want the IPv6 one first", got)
	}
	want := sdk.Attributes{
		"dns.source": "server", "dns.server": addr, "dns.transport": "udp", "dns.rcode": "NOERROR",
		"dns.answers": []string{"2001:db8::1", "192.0.2.1"}, "dns.ttl": int64(300),
		"dns.queries": int64(2), "dns.cached": false, "dns.truncated_retry": false,
	}
	delete(res.Attributes, "dns.connect_ready") // only on a machine so loaded that AAAA lagged A by 50 ms
	if !reflect.DeepEqual(res.Attributes, want) {
		t.Errorf("attributes = %v\nwant         %v", res.Attributes, want)
	}
	var types []string
	for _, q := range zone.queries() {
		types = append(types, q.qtype+"/"+q.network)
	}
	slices.Sort(types)
	if !reflect.DeepEqual(types, []string{"A/udp", "AAAA/udp"}) {
		t.Errorf("server saw %v, want one A and one AAAA query over udp", types)
	}
}

func TestPreferAndFamilies(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "prefer": "ipv4"})
	if got := addrList(mustResolve(t, h, "www.probe.test")); got != "[192.0.2.1 2001:db8::1]" {
		t.Errorf("prefer ipv4: addresses = %s", got)
	}

	zone = newTestZone(t)
	addr = startDNS(t, zone)
	h = configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	if got := addrList(mustResolve(t, h, "www.probe.test")); got != "[192.0.2.1]" {
		t.Errorf("families [ipv4]: addresses = %s", got)
	}
	if q := zone.queries(); len(q) != 1 || q[0].qtype != "A" {
		t.Errorf("families [ipv4]: server saw %v, want a single A query", q)
	}
}

func TestFollowsCNAMEChains(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}})

	res := mustResolve(t, h, "alias.probe.test")
	if got := addrList(res); got != "[2001:db8::1 192.0.2.1]" {
		t.Errorf("alias: addresses = %s", got)
	}
	if got := res.Attributes["dns.cname"]; !reflect.DeepEqual(got, []string{"mid.probe.test", "www.probe.test"}) {
		t.Errorf("alias: dns.cname = %v", got)
	}
	if got := res.Attributes["dns.ttl"]; got != int64(60) {
		t.Errorf("alias: dns.ttl = %v, want the smallest TTL of the chain, 60", got)
	}

	// The server answers split.probe.test with the CNAME alone: the phase
	// asks again for the target.
	res = mustResolve(t, h, "split.probe.test")
	if got := addrList(res); got != "[2001:db8::1 192.0.2.1]" {
		t.Errorf("split: addresses = %s", got)
	}
	if got := res.Attributes["dns.cname"]; !reflect.DeepEqual(got, []string{"www.probe.test"}) {
		t.Errorf("split: dns.cname = %v", got)
	}
	if got := res.Attributes["dns.queries"]; got != int64(4) {
		t.Errorf("split: dns.queries = %v, want 4 (two names, two families)", got)
	}
}

func TestCNAMELoopsAndLongChainsFail(t *testing.T) {
	addr := startDNS(t, newTestZone(t))
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	for host, want := range map[string]string{
		"loop1.probe.test":  fmt.Sprintf("dns: loop1.probe.test A: cname loop: loop1.probe.test is reached twice (server %s)", addr),
		"chain0.probe.test": fmt.Sprintf("dns: chain0.probe.test A: cname chain longer than 8 (server %s)", addr),
	} {
		res, err := resolveHost(t, h, host)
		if sdktest.Kind(err) != sdk.KindDNS || err.Error() != want {
			t.Errorf("%s: err = %v (kind %q), want %q", host, err, sdktest.Kind(err), want)
			continue
		}
		if res == nil || res.Duration <= 0 || res.Attributes["dns.cname"] == nil {
			t.Errorf("%s: partial result = %+v, want a duration and the chain so far", host, res)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	addr := startDNS(t, newTestZone(t))
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}})
	v6 := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv6"}})
	for _, tc := range []struct {
		h       *sdktest.Harness
		host    string
		kind    sdk.ErrorKind
		message string
		rcode   string
	}{
		{h, "nope.probe.test", sdk.KindNXDomain, "nxdomain: nope.probe.test does not exist (server %s)", "NXDOMAIN"},
		{h, "servfail.probe.test", sdk.KindServFail, "servfail: servfail.probe.test A: the server failed to resolve it (server %s)", "SERVFAIL"},
		{h, "refused.probe.test", sdk.KindDNS, "dns: refused.probe.test A: answered REFUSED (server %s)", "REFUSED"},
		{v6, "v4only.probe.test", sdk.KindNoAddress, "no_address: v4only.probe.test has no ipv6 address (server %s)", "NOERROR"},
	} {
		res, err := resolveHost(t, tc.h, tc.host)
		if sdktest.Kind(err) != tc.kind {
			t.Errorf("%s: err = %v (kind %q), want kind %q", tc.host, err, sdktest.Kind(err), tc.kind)
			continue
		}
		if err.Error() != fmt.Sprintf(tc.message, addr) {
			t.Errorf("%s: message %q, want %q", tc.host, err, fmt.Sprintf(tc.message, addr))
		}
		if res == nil || res.Duration <= 0 || res.Attributes["dns.rcode"] != tc.rcode || res.Attributes["dns.server"] != addr {
			t.Errorf("%s: partial result = %+v, want rcode %s from %s", tc.host, res, tc.rcode, addr)
		}
	}
	// The name exists (A) but has no AAAA: with both families it resolves.
	if got := addrList(mustResolve(t, h, "v4only.probe.test")); got != "[192.0.2.2]" {
		t.Errorf("v4only with both families: %s", got)
	}
}

func TestTimeout(t *testing.T) {
	silent, got := startSilent(t)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{silent}, "timeout": "200ms", "attempts": 1})
	res, err := resolveHost(t, h, "www.probe.test")
	if sdktest.Kind(err) != sdk.KindTimeout || !strings.Contains(err.Error(), "no answer within 200ms (server "+silent+")") {
		t.Fatalf("err = %v (kind %q), want a timeout naming the server", err, sdktest.Kind(err))
	}
	if res == nil || res.Duration <= 0 || res.Attributes["dns.queries"] != int64(2) {
		t.Errorf("partial result = %+v, want a duration and 2 attempts", res)
	}
	if n := got.Load(); n != 2 {
		t.Errorf("silent server got %d queries, want 2", n)
	}
}

// TestProbeDeadlineAndCancel calls Run in-process: over the RPC layer the
// host's own deadline ends the call first, which is not what is tested.
func TestProbeDeadlineAndCancel(t *testing.T) {
	silent, _ := startSilent(t)
	p := testPhase(t)
	if err := p.Configure(sdk.NewConfig([]byte(toJSON(t, map[string]any{"servers": []string{silent}, "timeout": "5s"})))); err != nil {
		t.Fatal(err)
	}
	req := &sdk.Request{Target: sdk.Target{Host: "www.probe.test"}}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := p.Run(ctx, req)
	if sdk.Classify(err) != sdk.KindTimeout || !strings.HasSuffix(fmt.Sprint(err), "the probe deadline passed (server "+silent+")") {
		t.Errorf("deadline: err = %v (kind %q), want a timeout at the probe deadline and nothing after", err, sdk.Classify(err))
	}
	if res == nil || res.Duration <= 0 {
		t.Errorf("deadline: partial result = %+v, want a duration", res)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := p.Run(ctx, req); sdk.Classify(err) != sdk.KindCanceled || strings.Contains(fmt.Sprint(err), "closed network connection") {
		t.Errorf("cancel: err = %v (kind %q), want canceled, in words", err, sdk.Classify(err))
	}
}

func TestRetriesThenMovesToNextServer(t *testing.T) {
	silent, got := startSilent(t)
	good := startDNS(t, newTestZone(t))
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{silent, good}, "timeout": "200ms", "attempts": 2,
	})
	res := mustResolve(t, h, "www.probe.test")
	if res.Attributes["dns.server"] != good {
		t.Errorf("dns.server = %v, want %s", res.Attributes["dns.server"], good)
	}
	if got := res.Attributes["dns.queries"]; got != int64(6) {
		t.Errorf("dns.queries = %v, want 6 (per family: 2 to the silent server, 1 to the good one)", got)
	}
	if n := got.Load(); n != 4 {
		t.Errorf("silent server got %d queries, want 4", n)
	}
}

func TestOneFamilyFailingIsReported(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Question[0].Qtype == dns.TypeA { // AAAA queries get no answer
			zone.ServeDNS(w, r)
		}
	}))
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "timeout": "200ms", "attempts": 1})
	res := mustResolve(t, h, "www.probe.test")
	if addrList(res) != "[192.0.2.1]" {
		t.Errorf("addresses = %s, want the A answer", addrList(res))
	}
	errs, _ := res.Attributes["dns.errors"].([]string)
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "timeout: www.probe.test AAAA: no answer within 200ms") {
		t.Errorf("dns.errors = %q, want the AAAA timeout", errs)
	}
}

func TestServFailMovesToNextServer(t *testing.T) {
	failing := startDNS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		w.WriteMsg(m)
	}))
	good := startDNS(t, newTestZone(t))
	h := configured(t, testPhase(t), map[string]any{"servers": []string{failing, good}, "attempts": 3})
	res := mustResolve(t, h, "www.probe.test")
	if res.Attributes["dns.server"] != good || res.Attributes["dns.queries"] != int64(4) {
		t.Errorf("attributes = %v, want server %s after one SERVFAIL per family (4 attempts)", res.Attributes, good)
	}
}

func TestTruncatedAnswerIsRetriedOverTCP(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	res := mustResolve(t, h, "big.probe.test")
	if len(res.Addresses) != 100 {
		t.Errorf("got %d addresses, want all 100", len(res.Addresses))
	}
	if res.Attributes["dns.truncated_retry"] != true || res.Attributes["dns.queries"] != int64(2) {
		t.Errorf("attributes = %v, want truncated_retry and 2 attempts", res.Attributes)
	}
	want := []loggedQuery{{"big.probe.test.", "A", "udp"}, {"big.probe.test.", "A", "tcp"}}
	if got := zone.queries(); !reflect.DeepEqual(got, want) {
		t.Errorf("server saw %v, want %v", got, want)
	}
}

func TestTCPTransport(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "transport": "tcp"})
	res := mustResolve(t, h, "www.probe.test")
	if res.Attributes["dns.transport"] != "tcp" || len(res.Addresses) != 2 {
		t.Errorf("result = %+v", res)
	}
	for _, q := range zone.queries() {
		if q.network != "tcp" {
			t.Errorf("query %v did not use tcp", q)
		}
	}
}

func TestEDNS0(t *testing.T) {
	sizes := make(chan int, 4)
	addr := startDNS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		sizes <- udpSize(r)
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeNameError)
		w.WriteMsg(m)
	}))
	for size, want := range map[int]int{0: dns.MinMsgSize, 4096: 4096} {
		h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "edns0_size": size, "families": []string{"ipv4"}})
		resolveHost(t, h, "nope.probe.test")
		if got := <-sizes; got != want {
			t.Errorf("edns0_size %d: server saw payload size %d, want %d", size, got, want)
		}
	}
}

func TestSearchDomains(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{addr}, "families": []string{"ipv4"}, "search": []string{"nope.test", "probe.test"},
	})
	if got := addrList(mustResolve(t, h, "www")); got != "[192.0.2.1]" {
		t.Errorf("www: addresses = %s", got)
	}
	mustResolve(t, h, "www.probe.test.") // fully qualified: no search
	var names []string
	for _, q := range zone.queries() {
		names = append(names, q.name)
	}
	want := []string{"www.nope.test.", "www.probe.test.", "www.probe.test."}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("server saw %v, want %v", names, want)
	}

	_, err := resolveHost(t, h, "nothere")
	wantErr := fmt.Sprintf("nxdomain: nothere does not exist (tried nothere.nope.test, nothere.probe.test, nothere; server %s)", addr)
	if sdktest.Kind(err) != sdk.KindNXDomain || err.Error() != wantErr {
		t.Errorf("err = %v, want %q", err, wantErr)
	}
}

func TestServersFromResolvConf(t *testing.T) {
	addr := startDNS(t, newTestZone(t))
	p := testPhase(t)
	p.system.resolvConf = writeFile(t, "resolv.conf", "nameserver "+addr+"\nsearch probe.test\noptions ndots:2\n")
	h := configured(t, p, map[string]any{"families": []string{"ipv4"}})
	res := mustResolve(t, h, "www")
	if addrList(res) != "[192.0.2.1]" || res.Attributes["dns.server"] != addr {
		t.Errorf("result = %+v, want www.probe.test from %s", res, addr)
	}

	missing := testPhase(t)
	problems := sdktest.New(t, missing).Configure(t, `{}`)
	want := "not set, and reading " + missing.system.resolvConf + " failed: open " + missing.system.resolvConf + ": no such file or directory"
	if len(problems) != 1 || problems[0].Attribute != "servers" || problems[0].Err.Error() != want {
		t.Errorf("problems = %v, want servers: %s", problems, want)
	}
}

func TestHostsFile(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	hosts := writeFile(t, "hosts", "# pinned\n192.0.2.50 pinned.probe.test pinned\n2001:db8::50 pinned.probe.test\n")
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "hosts_file": hosts})
	res := mustResolve(t, h, "Pinned.Probe.Test.")
	if addrList(res) != "[2001:db8::50 192.0.2.50]" || res.Attributes["dns.source"] != "hosts" || res.Attributes["dns.queries"] != int64(0) {
		t.Errorf("result = %+v, want both pinned addresses from the hosts file", res)
	}
	mustResolve(t, h, "www.probe.test") // not in the file: asks the server
	if q := zone.queries(); len(q) != 2 || q[0].name != "www.probe.test." {
		t.Errorf("server saw %v, want only the two www.probe.test queries", q)
	}
}

func TestIPLiteralSkipsQueries(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}})
	for host, want := range map[string]string{"192.0.2.7": "[192.0.2.7]", "[2001:db8::7]": "[2001:db8::7]", "2001:db8::8": "[2001:db8::8]"} {
		res := mustResolve(t, h, host)
		if addrList(res) != want || res.Attributes["dns.source"] != "literal" {
			t.Errorf("%s: result = %+v", host, res)
		}
	}
	if q := zone.queries(); len(q) != 0 {
		t.Errorf("server saw %v, want no queries", q)
	}
}

func TestInvalidName(t *testing.T) {
	h := configured(t, testPhase(t), map[string]any{"servers": []string{"127.0.0.1"}})
	for _, host := range []string{"", "bad..name"} {
		if _, err := resolveHost(t, h, host); sdktest.Kind(err) != sdk.KindInput {
			t.Errorf("%q: err = %v, want kind input", host, err)
		}
	}
}

func TestCacheHonoursTTL(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	start := time.Now()
	var elapsed atomic.Int64 // the fake clock's advance
	p := testPhase(t)
	p.now = func() time.Time { return start.Add(time.Duration(elapsed.Load())) }
	h := configured(t, p, map[string]any{"servers": []string{addr}, "cache": true})

	first := mustResolve(t, h, "www.probe.test")
	elapsed.Add(int64(100 * time.Second))
	second := mustResolve(t, h, "www.probe.test")
	if first.Attributes["dns.cached"] != false || second.Attributes["dns.cached"] != true {
		t.Errorf("dns.cached = %v then %v, want false then true", first.Attributes["dns.cached"], second.Attributes["dns.cached"])
	}
	if second.Attributes["dns.ttl"] != int64(200) || second.Attributes["dns.queries"] != int64(0) || addrList(second) != addrList(first) {
		t.Errorf("cached result = %+v, want the same addresses, ttl 200, 0 attempts", second)
	}
	if n := len(zone.queries()); n != 2 {
		t.Errorf("server saw %d queries, want 2 (the second run is cached)", n)
	}
	elapsed.Add(int64(200 * time.Second))
	if third := mustResolve(t, h, "www.probe.test"); third.Attributes["dns.cached"] != false {
		t.Errorf("after the TTL: dns.cached = %v, want false", third.Attributes["dns.cached"])
	}
	if n := len(zone.queries()); n != 4 {
		t.Errorf("server saw %d queries, want 4 (the TTL ran out)", n)
	}
}

func TestNoCacheByDefault(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}})
	mustResolve(t, h, "www.probe.test")
	if res := mustResolve(t, h, "www.probe.test"); res.Attributes["dns.cached"] != false || len(zone.queries()) != 4 {
		t.Errorf("second run: cached %v, %d queries; want a fresh query", res.Attributes["dns.cached"], len(zone.queries()))
	}
}

// recursiveHandler answers as a recursive resolver does (RA set): it has
// followed www.rec.test CNAME v4.rec.test already, and v4 has only an A
// record; dangling.rec.test CNAME gone.rec.test, which does not exist.
type recursiveHandler struct{ queries atomic.Int64 }

func (h *recursiveHandler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	h.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	q := r.Question[0]
	rr := func(s string) dns.RR { x, _ := dns.NewRR(s); return x }
	switch q.Name {
	case "www.rec.test.":
		m.Answer = append(m.Answer, rr("www.rec.test. 60 IN CNAME v4.rec.test."))
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, rr("v4.rec.test. 60 IN A 192.0.2.4"))
		}
	case "dangling.rec.test.":
		m.Answer = append(m.Answer, rr("dangling.rec.test. 60 IN CNAME gone.rec.test."))
		m.Rcode = dns.RcodeNameError
	default:
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

func TestRecursiveNODATAAfterCNAMEIsFinal(t *testing.T) {
	h := &recursiveHandler{}
	addr := startDNS(t, h)
	harness := configured(t, testPhase(t), map[string]any{"servers": []string{addr}})
	res := mustResolve(t, harness, "www.rec.test")
	if addrList(res) != "[192.0.2.4]" || res.Attributes["dns.queries"] != int64(2) || h.queries.Load() != 2 {
		t.Errorf("answers %s, dns.queries %v, server saw %d; want the A record from 2 queries (no re-query of v4 for AAAA)",
			addrList(res), res.Attributes["dns.queries"], h.queries.Load())
	}
}

func TestNXDOMAINAtTheEndOfAChainNamesTheMissingName(t *testing.T) {
	addr := startDNS(t, &recursiveHandler{})
	harness := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	res, err := resolveHost(t, harness, "dangling.rec.test")
	if sdktest.Kind(err) != sdk.KindNXDomain || !strings.Contains(err.Error(), "gone.rec.test") {
		t.Errorf("err = %v; want nxdomain naming gone.rec.test", err)
	}
	if res == nil || fmt.Sprint(res.Attributes["dns.cname"]) != "[gone.rec.test]" {
		t.Errorf("dns.cname = %v", res.Attributes["dns.cname"])
	}
}

// oldServer does not understand EDNS0: a query with an OPT record gets
// FORMERR, one without gets the answer.
type oldServer struct{ withOPT, withoutOPT atomic.Int64 }

func (s *oldServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	if r.IsEdns0() != nil {
		s.withOPT.Add(1)
		m.Rcode = dns.RcodeFormatError
	} else {
		s.withoutOPT.Add(1)
		rr, _ := dns.NewRR(r.Question[0].Name + " 60 IN A 192.0.2.7")
		m.Answer = append(m.Answer, rr)
	}
	w.WriteMsg(m)
}

func TestRetriesWithoutEDNS0AfterFORMERR(t *testing.T) {
	s := &oldServer{}
	addr := startDNS(t, s)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	res := mustResolve(t, h, "old.probe.test")
	if addrList(res) != "[192.0.2.7]" || s.withOPT.Load() != 1 || s.withoutOPT.Load() != 1 {
		t.Errorf("answers %s; server saw %d queries with OPT, %d without; want 1 and 1",
			addrList(res), s.withOPT.Load(), s.withoutOPT.Load())
	}
}

// searchHandler: host.corp.rec.test exists without addresses (NODATA);
// host. has an A record; nothing.corp.rec.test exists without addresses
// and nothing. does not exist.
type searchHandler struct{}

func (searchHandler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	switch q := r.Question[0]; q.Name {
	case "host.corp.rec.test.", "nothing.corp.rec.test.":
		// NOERROR, no records: the name exists
	case "host.":
		if q.Qtype == dns.TypeA {
			rr, _ := dns.NewRR("host. 60 IN A 192.0.2.9")
			m.Answer = append(m.Answer, rr)
		}
	default:
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

// As glibc does, a search candidate without addresses (NODATA) moves on to
// the next; with no addresses anywhere, NODATA is reported over NXDOMAIN.
func TestSearchMovesOnAfterNODATALikeGlibc(t *testing.T) {
	addr := startDNS(t, searchHandler{})
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{addr}, "search": []string{"corp.rec.test"}, "ndots": 1,
	})
	if res := mustResolve(t, h, "host"); addrList(res) != "[192.0.2.9]" {
		t.Errorf("host resolved to %s, want the bare name's A record", addrList(res))
	}
	if _, err := resolveHost(t, h, "nothing"); sdktest.Kind(err) != sdk.KindNoAddress || !strings.Contains(err.Error(), "nothing.corp.rec.test") {
		t.Errorf("nothing: err = %v (kind %q); want no_address for nothing.corp.rec.test", err, sdktest.Kind(err))
	}
}

// pdnsHandler answers as an authoritative-only server (RA clear) that is
// not authoritative for the target of its CNAME: pdns.probe.test CNAME
// real.other.test with rcode NXDOMAIN, as PowerDNS does. It answers
// real.other.test itself, as the configured resolver would.
type pdnsHandler struct{ queries atomic.Int64 }

func (h *pdnsHandler) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	h.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(r)
	q := r.Question[0]
	rr := func(s string) dns.RR { x, _ := dns.NewRR(s); return x }
	switch q.Name {
	case "pdns.probe.test.":
		m.Authoritative = true
		m.Rcode = dns.RcodeNameError
		m.Answer = append(m.Answer, rr("pdns.probe.test. 60 IN CNAME real.other.test."))
	case "real.other.test.":
		m.Answer = append(m.Answer, rr("real.other.test. 60 IN A 192.0.2.80"))
	default:
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

func TestNXDOMAINWithACNAMEFromANonRecursiveServerAsksForTheTarget(t *testing.T) {
	h := &pdnsHandler{}
	addr := startDNS(t, h)
	harness := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	res := mustResolve(t, harness, "pdns.probe.test")
	if addrList(res) != "[192.0.2.80]" || fmt.Sprint(res.Attributes["dns.cname"]) != "[real.other.test]" {
		t.Errorf("answers %s, dns.cname %v; want 192.0.2.80 through real.other.test", addrList(res), res.Attributes["dns.cname"])
	}
	if res.Attributes["dns.queries"] != int64(2) || h.queries.Load() != 2 {
		t.Errorf("dns.queries %v, server saw %d; want 2 (the name, then the CNAME target)", res.Attributes["dns.queries"], h.queries.Load())
	}
}
