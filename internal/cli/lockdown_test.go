//go:build linux

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probe-net/probe/examples/testbed"
)

// The recipes of docs/locked-down-networks.md, run with the real bin/probe
// against a testbed whose DNS server drops every UDP query (as a firewall
// blocking 53/udp would). The binary stays the same; only the file changes.

// startLockedDown starts a testbed on which plain UDP DNS cannot work.
func startLockedDown(t *testing.T) *testbed.Testbed {
	t.Helper()
	tb, err := testbed.Start(testbed.Options{Dir: t.TempDir(), DNSNoUDP: true})
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

// udpVariant writes examples/lockdown-tcp.hcl with its transport switched
// back to plain UDP, and nothing else changed but a short timeout and a
// single attempt, so that the failure comes quickly.
func udpVariant(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(example(t, "lockdown-tcp.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	const tcp = `transport = "tcp"`
	if n := strings.Count(string(src), tcp); n != 1 {
		t.Fatalf("lockdown-tcp.hcl has %d lines %s, want 1", n, tcp)
	}
	udp := strings.Replace(string(src), tcp, "transport = \"udp\"\n    timeout   = \"300ms\"\n    attempts  = 1", 1)
	file := filepath.Join(t.TempDir(), "lockdown-udp.hcl")
	writeFile(t, file, udp)
	return file
}

// The control: the UDP variant works where UDP is open, so its failure
// below is the network's doing, not the file's.
func TestLockdownUDPVariantWorksWhereUDPIsOpen(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "run", udpVariant(t), "--count", "1", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	assertQueriesOver(t, tb, testbed.NetUDP)
}

func TestLockdownRecipes(t *testing.T) {
	tb := startLockedDown(t)
	t.Run("plain UDP times out", func(t *testing.T) {
		assertUDPFails(t, tb)
	})
	recipes := []struct {
		file      string
		transport string // the dns.transport attribute
		net       string // what the testbed records
		server    string // the dns.server attribute
	}{
		{"lockdown-tcp.hcl", "tcp", testbed.NetTCP, tb.DNSAddr},
		{"lockdown-dot.hcl", "dot", testbed.NetTLS, tb.DoTAddr},
		{"lockdown-doh.hcl", "doh", testbed.NetHTTPS, tb.DoHURL},
	}
	for _, rc := range recipes {
		t.Run(rc.file, func(t *testing.T) {
			tb.Reset()
			r := runProbe(t, tb, "run", example(t, rc.file), "--count", "2", "--format", "json")
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			rep := decode(t, r)
			if len(rep.Targets) != 2 {
				t.Fatalf("got %d targets, want web and secure", len(rep.Targets))
			}
			for _, tg := range rep.Targets {
				if tg.OK != 2 || tg.Probes != 2 || tg.Phases[0].Phase != "dns" || tg.Phases[0].OK != 2 {
					t.Errorf("%s: %d/%d ok, phases %+v", tg.Name, tg.OK, tg.Probes, tg.Phases)
				}
				if got := tg.Attributes["dns.transport"]; got != rc.transport {
					t.Errorf("%s: dns.transport = %v, want %s", tg.Name, got, rc.transport)
				}
				if got := tg.Attributes["dns.server"]; got != rc.server {
					t.Errorf("%s: dns.server = %v, want %s", tg.Name, got, rc.server)
				}
			}
			assertQueriesOver(t, tb, rc.net)
			assertTransportServer(t, tb, rc.net)
		})
	}
}

// assertUDPFails runs the UDP variant on the locked-down testbed: every
// probe fails in the dns phase with a timeout, and no query was answered.
func assertUDPFails(t *testing.T, tb *testbed.Testbed) {
	t.Helper()
	r := runProbe(t, tb, "run", udpVariant(t), "--count", "2", "--format", "json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, tg := range decode(t, r).Targets {
		dns := tg.Phases[0]
		if tg.OK != 0 || dns.Phase != "dns" || dns.OK != 0 || len(dns.Errors) == 0 {
			t.Errorf("%s: %d/%d ok, dns phase %+v; want every probe to fail in dns", tg.Name, tg.OK, tg.Probes, dns)
		}
		for _, e := range dns.Errors {
			if e.Kind != "timeout" || !strings.Contains(e.Message, tb.DNSAddr) {
				t.Errorf("%s: dns error %s %q, want a timeout naming %s", tg.Name, e.Kind, e.Message, tb.DNSAddr)
			}
		}
		if got := tg.Attributes["dns.transport"]; got != "udp" {
			t.Errorf("%s: dns.transport = %v, want udp", tg.Name, got)
		}
	}
	if n := tb.DroppedUDP(); n == 0 {
		t.Error("the testbed dropped no UDP query: the probe did not try UDP")
	}
	if q := tb.DNSQueries(); len(q) != 0 {
		t.Errorf("the testbed answered %d queries, want none: %v", len(q), q)
	}
}

// assertQueriesOver checks that the testbed answered queries, all over
// network, and that no UDP datagram reached the DNS port otherwise.
func assertQueriesOver(t *testing.T, tb *testbed.Testbed, network string) {
	t.Helper()
	queries := tb.DNSQueries()
	// Two targets, A and AAAA each, at least once per probe.
	if len(queries) < 4 {
		t.Errorf("the testbed answered %d queries, want at least 4: %v", len(queries), queries)
	}
	for _, q := range queries {
		if q.Net != network {
			t.Errorf("query %s %s came over %s, want only %s", q.Name, q.Type, q.Net, network)
		}
	}
	if n := tb.DroppedUDP(); n != 0 {
		t.Errorf("%d UDP queries reached the DNS port, want none", n)
	}
}

// assertTransportServer checks the queries reached the server of that
// transport, and no other DNS server.
func assertTransportServer(t *testing.T, tb *testbed.Testbed, network string) {
	t.Helper()
	dnsConns, dotConns := tb.Accepted(testbed.ServerDNS), tb.Accepted(testbed.ServerDoT)
	var dohPosts int
	for _, req := range tb.Requests(testbed.ServerHTTPS) {
		if req.Method == "POST" && req.Path == testbed.DoHPath {
			dohPosts++
		}
	}
	var ok bool
	switch network {
	case testbed.NetTCP:
		ok = dnsConns > 0 && dotConns == 0 && dohPosts == 0
	case testbed.NetTLS:
		ok = dnsConns == 0 && dotConns > 0 && dohPosts == 0
	case testbed.NetHTTPS:
		ok = dnsConns == 0 && dotConns == 0 && dohPosts == len(tb.DNSQueries())
	}
	if !ok {
		t.Errorf("over %s: %d DNS-over-TCP connections, %d DoT connections, %d DoH POSTs (for %d queries)",
			network, dnsConns, dotConns, dohPosts, len(tb.DNSQueries()))
	}
}
