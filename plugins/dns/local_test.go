//go:build linux

package dnsphase

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

// RFC 6761 §6.3: localhost and the names under it are loopback, answered
// without a query, before any hosts file.
func TestLocalhostIsLoopbackWithoutAQuery(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	hosts := writeFile(t, "hosts", "10.0.0.9 localhost app.localhost\n")
	both := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "hosts_file": hosts, "search": []string{"probe.test"}})
	v4 := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	for _, tc := range []struct {
		h    *sdktest.Harness
		host string
		want string
	}{
		{both, "localhost", "[::1 127.0.0.1]"},
		{both, "LocalHost.", "[::1 127.0.0.1]"},
		{both, "app.localhost", "[::1 127.0.0.1]"},
		{both, "a.b.localhost.", "[::1 127.0.0.1]"},
		{v4, "localhost", "[127.0.0.1]"},
	} {
		res := mustResolve(t, tc.h, tc.host)
		if addrList(res) != tc.want || res.Attributes["dns.source"] != "localhost" || res.Attributes["dns.queries"] != int64(0) {
			t.Errorf("%s: %s, attributes %v; want %s from localhost, no query", tc.host, addrList(res), res.Attributes, tc.want)
		}
	}
	if q := zone.queries(); len(q) != 0 {
		t.Errorf("server saw %v, want no queries", q)
	}
	// A name that merely starts with localhost is an ordinary name.
	if _, err := resolveHost(t, v4, "localhost.probe.test"); err == nil || len(zone.queries()) != 1 {
		t.Errorf("localhost.probe.test: err %v, %d queries; want an ordinary (failing) query", err, len(zone.queries()))
	}
}

// A CNAME chain that leads to a localhost name ends there, without asking.
func TestCNAMEIntoLocalhostIsLoopback(t *testing.T) {
	var (
		mu    sync.Mutex
		asked []string
	)
	addr := startDNS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		asked = append(asked, r.Question[0].Name)
		mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(r)
		rr, _ := dns.NewRR(r.Question[0].Name + " 60 IN CNAME svc.localhost.")
		m.Answer = append(m.Answer, rr)
		w.WriteMsg(m)
	}))
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	res := mustResolve(t, h, "local.probe.test")
	mu.Lock()
	defer mu.Unlock()
	if addrList(res) != "[127.0.0.1]" || fmt.Sprint(res.Attributes["dns.cname"]) != "[svc.localhost]" || fmt.Sprint(asked) != "[local.probe.test.]" {
		t.Errorf("answers %s, chain %v, server asked %v; want 127.0.0.1 with one query", addrList(res), res.Attributes["dns.cname"], asked)
	}
}

// With the system configuration (no servers), the system's hosts file is
// consulted before any query, as glibc's "hosts: files dns" does; lines
// it cannot read are skipped, as glibc does.
func TestSystemHostsFileComesFirstWithoutServers(t *testing.T) {
	zone := newTestZone(t)
	addr := startDNS(t, zone)
	p := testPhase(t)
	p.system.resolvConf = writeFile(t, "resolv.conf", "nameserver "+addr+"\n")
	p.system.hosts = writeFile(t, "hosts", "not-an-address broken\n192.0.2.77 pinned.probe.test\n")
	h := configured(t, p, map[string]any{"families": []string{"ipv4"}})
	res := mustResolve(t, h, "pinned.probe.test")
	if addrList(res) != "[192.0.2.77]" || res.Attributes["dns.source"] != "hosts" || res.Attributes["dns.hosts_file"] != p.system.hosts {
		t.Errorf("pinned: %s, attributes %v; want 192.0.2.77 from %s", addrList(res), res.Attributes, p.system.hosts)
	}
	if res := mustResolve(t, h, "www.probe.test"); res.Attributes["dns.source"] != "server" || res.Attributes["dns.server"] != addr {
		t.Errorf("www: attributes %v; want an answer from %s", res.Attributes, addr)
	}
	if q := zone.queries(); len(q) != 1 || q[0].name != "www.probe.test." {
		t.Errorf("server saw %v, want only www.probe.test", q)
	}

	// Servers given: the system's hosts file is not the resolver asked.
	p.system.hosts = writeFile(t, "hosts", "192.0.2.78 www.probe.test\n")
	h = configured(t, p, map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	if res := mustResolve(t, h, "www.probe.test"); addrList(res) != "[192.0.2.1]" || res.Attributes["dns.source"] != "server" {
		t.Errorf("with servers: %s from %v; want the server's 192.0.2.1", addrList(res), res.Attributes["dns.source"])
	}
}

// A name that reaches the phase in Unicode is asked for by its A-label,
// and hosts files and search domains in Unicode match it.
func TestInternationalisedNamesAreAskedAsALabels(t *testing.T) {
	var (
		mu    sync.Mutex
		asked []string
	)
	addr := startDNS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		mu.Lock()
		asked = append(asked, r.Question[0].Name)
		mu.Unlock()
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Question[0].Name == "xn--bcher-kva.probe.test." {
			rr, _ := dns.NewRR("xn--bcher-kva.probe.test. 60 IN A 192.0.2.30")
			m.Answer = append(m.Answer, rr)
		} else {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	}))
	hosts := writeFile(t, "hosts", "192.0.2.31 bücher.hosts.test\n")
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{addr}, "families": []string{"ipv4"}, "hosts_file": hosts, "search": []string{"probe.test"}, "ndots": 1,
	})
	if res := mustResolve(t, h, "Bücher.probe.test"); addrList(res) != "[192.0.2.30]" {
		t.Errorf("Bücher.probe.test: %s, want 192.0.2.30", addrList(res))
	}
	if res := mustResolve(t, h, "bücher.hosts.test"); addrList(res) != "[192.0.2.31]" || res.Attributes["dns.source"] != "hosts" {
		t.Errorf("bücher.hosts.test: %s from %v, want the hosts file's 192.0.2.31", addrList(res), res.Attributes["dns.source"])
	}
	if res := mustResolve(t, h, "bücher"); addrList(res) != "[192.0.2.30]" {
		t.Errorf("bücher with search probe.test: %s, want 192.0.2.30", addrList(res))
	}
	mu.Lock()
	for _, q := range asked {
		if !strings.HasPrefix(q, "xn--bcher-kva.") {
			t.Errorf("asked %q: want A-labels on the wire", q)
		}
	}
	mu.Unlock()
	if _, err := resolveHost(t, h, "a\u200db.probe.test"); sdktest.Kind(err) != sdk.KindInput {
		t.Errorf("a joiner out of context: err %v, want kind input", err)
	}
}
