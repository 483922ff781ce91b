//go:build linux

package cli_test

import (
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/internal/loopback"
)

// Every probe test here names a host only together with --dns-server
// pointing at the testbed; the others use IP literals. The system resolver
// is never asked.

func portOf(t *testing.T, hostport string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustExit(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// waterfallRow matches a phase's row: name, its time, and a bar.
func waterfallRow(phase string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + phase + ` +[0-9.]+ +█+$`)
}

func secureArgs(tb *testbed.Testbed, t *testing.T, extra ...string) []string {
	args := []string{"test", "secure.probe.test", portOf(t, tb.HTTPSAddr), "https", "--dns-server", tb.DNSAddr}
	return append(args, extra...)
}

func TestTestHTTPSShowsPhasesAndWaterfall(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, secureArgs(tb, t, "--ca-file", tb.CAFile)...)
	mustExit(t, r, 0)
	mustContain(t, r.stdout,
		"probe test secure.probe.test:"+portOf(t, tb.HTTPSAddr)+" https\n",
		"DNS    addresses     127.0.0.1\n",
		"       server        "+tb.DNSAddr+" (udp)\n",
		"TLS    server name   secure.probe.test\n",
		"       version       TLS 1.",
		"HTTP   status        200 OK\n",
	)
	for _, phase := range []string{"dns", "tcp", "tls", "http"} {
		if !waterfallRow(phase).MatchString(r.stdout) {
			t.Errorf("no waterfall row with a bar for %s:\n%s", phase, r.stdout)
		}
	}
	for _, mark := range []string{"namelookup", "connect", "appconnect", "starttransfer", "total"} {
		if !regexp.MustCompile(`\b` + mark + `:[0-9.]+ms`).MatchString(r.stdout) {
			t.Errorf("no cumulative mark %s:\n%s", mark, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "FAILED") || strings.Contains(r.stdout, "VERIFICATION SKIPPED") {
		t.Errorf("a verified, successful probe reports a failure or a warning:\n%s", r.stdout)
	}
	if len(tb.DNSQueries()) == 0 {
		t.Error("the testbed's DNS server got no query: --dns-server was not used")
	}
	if n := tb.Accepted(testbed.ServerHTTPS); n != 1 {
		t.Errorf("https server accepted %d connections, want 1 (one probe, one connection)", n)
	}
}

func TestTestHTTPOnIPLiteralSkipsDNS(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "test", "127.0.0.1", portOf(t, tb.HTTPAddr), "http", "--timeout=2000", "--path", "/healthz")
	mustExit(t, r, 0)
	mustContain(t, r.stdout,
		"DNS    skipped (host is an IP address)\n",
		"dns     skipped  (host is an IP address)\n",
		"HTTP   status        200 OK\n",
		"namelookup:0.000ms",
		"starttransfer:",
	)
	if strings.Contains(r.stdout, "appconnect") || strings.Contains(r.stdout, "TLS ") {
		t.Errorf("plain http shows TLS:\n%s", r.stdout)
	}
	if q := tb.DNSQueries(); len(q) != 0 {
		t.Errorf("an IP literal caused %d DNS queries", len(q))
	}
	if reqs := tb.Requests(testbed.ServerHTTP); len(reqs) != 1 || reqs[0].Path != "/healthz" || reqs[0].Method != "HEAD" {
		t.Errorf("http requests = %+v, want one HEAD /healthz (--path)", reqs)
	}
}

func TestTestTCP(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "test", "127.0.0.1", portOf(t, tb.TCPAddr), "tcp")
	mustExit(t, r, 0)
	mustContain(t, r.stdout, "TCP    remote        "+tb.TCPAddr+"\n", "connect:", "total:")
	if !waterfallRow("tcp").MatchString(r.stdout) {
		t.Errorf("no tcp row:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "HTTP") || strings.Contains(r.stdout, "starttransfer") {
		t.Errorf("tcp probe shows HTTP:\n%s", r.stdout)
	}
}

// Both spellings of an IPv6 literal probe the same listener on ::1.
func TestTestIPv6Literal(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	s := loopback.ServeTCP(ln, func(net.Conn) {}) // accepts and closes
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	port := portOf(t, s.Addr().String())
	for _, host := range []string{"::1", "[::1]"} {
		r := runProbe(t, nil, "test", host, port, "tcp", "--timeout=2s")
		mustExit(t, r, 0)
		mustContain(t, r.stdout, "probe test [::1]:"+port+" tcp\n", "family        ipv6\n", "dns     skipped")
	}
}

type testDoc struct {
	Schema string `json:"schema"`
	Target struct {
		Name     string `json:"name"`
		Host     string `json:"host"`
		Port     int    `json:"port"`
		Protocol string `json:"protocol"`
	} `json:"target"`
	OK     bool `json:"ok"`
	Phases []struct {
		Phase      string         `json:"phase"`
		Plugin     string         `json:"plugin"`
		Status     string         `json:"status"`
		DurationMS *float64       `json:"duration_ms"`
		Error      *struct{}      `json:"error"`
		Attributes map[string]any `json:"attributes"`
	} `json:"phases"`
	Cumulative map[string]*float64 `json:"cumulative_ms"`
	Stats      *struct {
		Probes int `json:"probes"`
		OK     int `json:"ok"`
	} `json:"stats"`
}

func decodeTest(t *testing.T, r result) testDoc {
	t.Helper()
	var doc testDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return doc
}

func TestTestJSON(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, secureArgs(tb, t, "--ca-file", tb.CAFile, "--format", "json")...)
	mustExit(t, r, 0)
	doc := decodeTest(t, r)
	if doc.Schema != "probe.test/v1" || !doc.OK || doc.Target.Host != "secure.probe.test" || doc.Target.Protocol != "https" || doc.Stats != nil {
		t.Errorf("doc = %+v", doc)
	}
	var chain []string
	for _, p := range doc.Phases {
		chain = append(chain, p.Phase)
		if p.Status != "ok" || p.DurationMS == nil || *p.DurationMS <= 0 || p.Error != nil || p.Plugin == "" {
			t.Errorf("phase %s: %+v", p.Phase, p)
		}
	}
	if strings.Join(chain, ",") != "dns,tcp,tls,http" {
		t.Errorf("phases = %v, want dns,tcp,tls,http", chain)
	}
	if v := doc.Phases[3].Attributes["http.status"]; v != 200.0 {
		t.Errorf("http.status = %v", v)
	}
	prev := 0.0
	for _, mark := range []string{"namelookup", "connect", "appconnect", "starttransfer", "total"} {
		v := doc.Cumulative[mark]
		if v == nil || *v < prev {
			t.Fatalf("cumulative_ms %s = %v after %v: want present and non-decreasing (%v)", mark, v, prev, doc.Cumulative)
		}
		prev = *v
	}
	if prev <= 0 {
		t.Errorf("total = %v, want > 0", prev)
	}
}

func TestTestCountAddsStatistics(t *testing.T) {
	tb := startTestbed(t)
	port := portOf(t, tb.HTTPAddr)
	r := runProbe(t, tb, "test", "127.0.0.1", port, "http", "--count", "2")
	mustExit(t, r, 0)
	mustContain(t, r.stdout, "details of the last of 2 probes\n", "all 2 probes:\n", "TARGET", "2/2")
	j := runProbe(t, tb, "test", "127.0.0.1", port, "http", "--count", "2", "--format", "json")
	mustExit(t, j, 0)
	if doc := decodeTest(t, j); doc.Stats == nil || doc.Stats.Probes != 2 || doc.Stats.OK != 2 {
		t.Errorf("stats = %+v, want 2 probes, 2 ok", doc.Stats)
	}
}

func TestTestUntrustedCertificateFails(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, secureArgs(tb, t)...)
	mustExit(t, r, 1)
	mustContain(t, r.stdout, "FAILED at tls: certificate", "unknown authority", "tls       ", " failed\n")
	if strings.Contains(r.stdout, "HTTP   ") {
		t.Errorf("http ran after tls failed:\n%s", r.stdout)
	}
	if n := len(tb.Requests(testbed.ServerHTTPS)); n != 0 {
		t.Errorf("the server got %d requests after a rejected certificate", n)
	}
}

func TestTestInsecureWarnsLoudly(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, secureArgs(tb, t, "--insecure")...)
	mustExit(t, r, 0)
	mustContain(t, r.stdout,
		"WARNING: TLS VERIFICATION SKIPPED (--insecure)",
		"verify        VERIFICATION SKIPPED (--insecure)\n",
		"HTTP   status        200 OK\n",
	)
}

func TestTestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"127.0.0.1", "80"}, "test needs HOST PORT PROTO, got 2"},
		{[]string{"127.0.0.1", "80", "http", "extra"}, "test needs HOST PORT PROTO, got 4"},
		{[]string{"127.0.0.1", "http", "https"}, `PORT "http": want a number from 1 to 65535`},
		{[]string{"127.0.0.1", "65536", "tcp"}, `PORT "65536"`},
		{[]string{"127.0.0.1", "80", "gopher"}, `PROTO "gopher" is not one of tcp, tls, http, https`},
		{[]string{"127.0.0.1", "80", "HTTP"}, `PROTO "HTTP": protocols are written in lower case: "http"`},
		{[]string{"127.0.0.1", "-1", "http"}, `PORT "-1": want a number from 1 to 65535`},
		{[]string{"127.0.0.1", "99999999999999999999", "http"}, `PORT "99999999999999999999": want a number from 1 to 65535`},
		{[]string{"127.0.0.1", "80", "http", "--count", "99999999999999999999"}, `"99999999999999999999" is too large: want a whole number up to 2147483647`},
		{[]string{"127.0.0.1:80", "80", "http"}, `HOST "127.0.0.1:80"`},
		{[]string{"127.0.0.1", "80", "http", "--timeout=-5"}, `--timeout "-5": must be greater than zero`},
		{[]string{"127.0.0.1", "80", "http", "--timeout=abc"}, `--timeout "abc": want milliseconds (2000) or a Go duration (2s)`},
		{[]string{"127.0.0.1", "80", "tcp", "--sni", "x.test"}, "--sni applies to tls and https, not tcp"},
		{[]string{"127.0.0.1", "80", "http", "--dns-server", "dns.example"}, `--dns-server "dns.example": want an IP address`},
		{[]string{"127.0.0.1", "443", "https", "--ca-file", "/nonexistent/ca.pem"}, "--ca-file"},
		{[]string{"127.0.0.1", "80", "http", "--format", "yaml"}, `invalid argument "yaml" for "--format" flag: want table, json or ndjson`},
	}
	for _, c := range cases {
		r := runProbe(t, nil, append([]string{"test"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("probe test %v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
		if r.stdout != "" {
			t.Errorf("probe test %v printed results on a usage error:\n%s", c.args, r.stdout)
		}
	}
}

// An internationalised HOST goes on the wire as its A-label — in the DNS
// question, as SNI (the certificate names the A-label) and in the Host
// header — and the output shows it as written with its A-label.
func TestTestInternationalisedHostUsesItsALabel(t *testing.T) {
	tb := startTestbed(t)
	port := portOf(t, tb.HTTPSAddr)
	r := runProbe(t, tb, "test", "bücher.probe.test", port, "https", "--dns-server", tb.DNSAddr, "--ca-file", tb.CAFile)
	mustExit(t, r, 0)
	mustContain(t, r.stdout,
		"probe test bücher.probe.test:"+port+" https (xn--bcher-kva.probe.test)\n",
		"TLS    server name   xn--bcher-kva.probe.test\n",
	)
	for _, q := range tb.DNSQueries() {
		if q.Name != "xn--bcher-kva.probe.test." {
			t.Errorf("DNS question %q, want the A-label", q.Name)
		}
	}
	if reqs := tb.Requests(testbed.ServerHTTPS); len(reqs) != 1 || reqs[0].Host != "xn--bcher-kva.probe.test:"+port {
		t.Errorf("requests = %+v, want one with Host xn--bcher-kva.probe.test:%s", reqs, port)
	}
	bad := runProbe(t, nil, "test", "a\u200db.probe.test", "443", "https")
	if bad.code != 2 || !strings.Contains(bad.stderr, `HOST: "a\u200db.probe.test" is not a valid internationalised domain name`) {
		t.Errorf("invalid name: exit %d, stderr %q; want 2 and the IDNA error", bad.code, bad.stderr)
	}
}

// probe test reaches a DoT or DoH resolver that the system does not trust
// and, for DoH by name, does not resolve: --dns-ca-file, --dns-tls-name and
// --dns-bootstrap; the details say how the DoH name was reached.
func TestTestOverSecureDNS(t *testing.T) {
	tb := startTestbed(t)
	port := portOf(t, tb.HTTPSAddr)
	doh := runProbe(t, tb, "test", "secure.probe.test", port, "https", "--ca-file", tb.CAFile,
		"--dns-transport", "doh", "--dns-server", tb.DoHURL, "--dns-bootstrap", "127.0.0.1", "--dns-ca-file", tb.CAFile)
	mustExit(t, doh, 0)
	mustContain(t, doh.stdout, "       server        "+tb.DoHURL+" (doh)\n", "       bootstrap     127.0.0.1\n")

	dot := runProbe(t, tb, "test", "secure.probe.test", port, "https", "--ca-file", tb.CAFile,
		"--dns-transport", "dot", "--dns-server", tb.DoTAddr, "--dns-ca-file", tb.CAFile, "--dns-tls-name", testbed.DNSServerName)
	mustExit(t, dot, 0)
	mustContain(t, dot.stdout, "       server        "+tb.DoTAddr+" (dot)\n")
	if strings.Contains(dot.stdout, "bootstrap") {
		t.Errorf("DoT shows a bootstrap:\n%s", dot.stdout)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--dns-bootstrap", "127.0.0.1"}, "--dns-bootstrap applies to --dns-transport doh"},
		{[]string{"--dns-transport", "doh", "--dns-server", "https://dns.probe.test/q", "--dns-bootstrap", "dns.probe.test"}, `--dns-bootstrap "dns.probe.test": want an IP address`},
		{[]string{"--dns-ca-file", tb.CAFile}, "--dns-ca-file applies to --dns-transport dot or doh"},
		{[]string{"--dns-transport", "dot", "--dns-ca-file", "/nonexistent/ca.pem"}, "--dns-ca-file"},
		{[]string{"--dns-tls-name", "dns.probe.test"}, "--dns-tls-name applies to --dns-transport dot or doh"},
	} {
		r := runProbe(t, nil, append([]string{"test", "127.0.0.1", "443", "https"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("probe test %v: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}
