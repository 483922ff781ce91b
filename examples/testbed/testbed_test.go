package testbed

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func start(t *testing.T, opts Options) *Testbed {
	t.Helper()
	tb, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := tb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return tb
}

func TestDNSAnswersTheZone(t *testing.T) {
	tb := start(t, Options{})
	tests := []struct {
		name   string
		qtype  uint16
		rcode  int
		answer []string // record data in order
	}{
		{"www.probe.test.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.1"}},
		{"WWW.Probe.Test.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.1"}},
		{"secure.probe.test.", dns.TypeA, dns.RcodeSuccess, []string{"127.0.0.1"}},
		{"alias.probe.test.", dns.TypeA, dns.RcodeSuccess, []string{"www.probe.test.", "127.0.0.1"}},
		{"alias.probe.test.", dns.TypeCNAME, dns.RcodeSuccess, []string{"www.probe.test."}},
		{"v6.probe.test.", dns.TypeAAAA, dns.RcodeSuccess, []string{"::1"}},
		{"v6.probe.test.", dns.TypeA, dns.RcodeSuccess, nil},
		{"www.probe.test.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"missing.probe.test.", dns.TypeA, dns.RcodeNameError, nil},
		{"servfail.probe.test.", dns.TypeA, dns.RcodeServerFailure, nil},
		{"www.example.com.", dns.TypeA, dns.RcodeRefused, nil},
	}
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: 2 * time.Second}
		for _, tt := range tests {
			m := new(dns.Msg).SetQuestion(tt.name, tt.qtype)
			r, _, err := c.Exchange(m, tb.DNSAddr)
			if err != nil {
				t.Fatalf("%s %s %s: %v", network, tt.name, dns.TypeToString[tt.qtype], err)
			}
			if r.Rcode != tt.rcode || !reflect.DeepEqual(rdata(t, r.Answer), tt.answer) {
				t.Errorf("%s %s %s: rcode %s answer %v, want %s %v", network, tt.name, dns.TypeToString[tt.qtype],
					dns.RcodeToString[r.Rcode], rdata(t, r.Answer), dns.RcodeToString[tt.rcode], tt.answer)
			}
		}
	}
	queries := tb.DNSQueries()
	if len(queries) != 2*len(tests) || queries[0] != (DNSQuery{"www.probe.test.", "A", "udp"}) ||
		queries[len(tests)] != (DNSQuery{"www.probe.test.", "A", "tcp"}) {
		t.Errorf("DNSQueries = %v", queries)
	}
	if got := tb.Accepted(ServerDNS); got != int64(len(tests)) {
		t.Errorf("Accepted(dns) = %d, want one TCP connection per TCP query (%d)", got, len(tests))
	}
}

// rdata renders answers as their data fields and checks every TTL is 60.
func rdata(t *testing.T, rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Ttl != answerTTL {
			t.Errorf("%v: TTL %d, want %d", rr, rr.Header().Ttl, answerTTL)
		}
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		case *dns.CNAME:
			out = append(out, rr.Target)
		default:
			out = append(out, rr.String())
		}
	}
	return out
}

func caPool(t *testing.T, tb *Testbed) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(tb.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no PEM certificate", tb.CAFile)
	}
	return pool
}

// TestOneConnectionCarriesHandshakeAndRequest does by hand what probe's tcp,
// tls and http phases do: dial, handshake on that socket, send HEAD on it.
func TestOneConnectionCarriesHandshakeAndRequest(t *testing.T) {
	tb := start(t, Options{})
	raw, err := net.DialTimeout("tcp", tb.HTTPSAddr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	tc := tls.Client(raw, &tls.Config{RootCAs: caPool(t, tb), ServerName: "secure.probe.test"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake verifying secure.probe.test with the testbed CA: %v", err)
	}
	resp := head(t, tc, "secure.probe.test", "/")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Server") != ServerHeader {
		t.Errorf("HEAD / = %d, Server %q", resp.StatusCode, resp.Header.Get("Server"))
	}
	if n := tb.Accepted(ServerHTTPS); n != 1 {
		t.Errorf("Accepted(https) = %d, want 1", n)
	}
	if n := tb.Handshakes(); n != 1 {
		t.Errorf("Handshakes = %d, want 1", n)
	}
	want := []Request{{Method: "HEAD", Path: "/", Host: "secure.probe.test", RemoteAddr: raw.LocalAddr().String(),
		TLS: true, TLSVersion: tls.VersionTLS13}}
	if got := tb.Requests(ServerHTTPS); !reflect.DeepEqual(got, want) {
		t.Errorf("Requests(https) = %+v, want %+v", got, want)
	}
}

func head(t *testing.T, c net.Conn, host, path string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(c, "HEAD "+path+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodHead})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestFailedHandshakeIsNotCounted(t *testing.T) {
	tb := start(t, Options{})
	cfg := &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "secure.probe.test"} // trusts nothing
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", tb.HTTPSAddr, cfg)
	if err == nil {
		conn.Close()
		t.Fatal("handshake succeeded without trusting the testbed CA")
	}
	// The server learns of the failure from the client's alert; give it a
	// moment, bounded, to finish its side.
	deadline := time.Now().Add(2 * time.Second)
	for tb.Accepted(ServerHTTPS) != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if a, h := tb.Accepted(ServerHTTPS), tb.Handshakes(); a != 1 || h != 0 {
		t.Errorf("Accepted(https) = %d, Handshakes = %d; want 1 and 0", a, h)
	}
}

func TestHTTPRoutes(t *testing.T) {
	tb := start(t, Options{})
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	tests := []struct {
		method, path string
		status       int
		location     string
	}{
		{"HEAD", "/", 200, ""},
		{"GET", "/anything/else", 200, ""},
		{"HEAD", "/redirect", 301, "/"},
		{"HEAD", "/status/503", 503, ""},
		{"HEAD", "/status/abc", 400, ""},
		{"HEAD", "/status/99", 400, ""},
		{"HEAD", "/slow?ms=20", 200, ""},
		{"HEAD", "/slow?ms=x", 400, ""},
		{"POST", "/", 405, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, "http://"+tb.HTTPAddr+tt.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location || resp.Header.Get("Server") != ServerHeader {
			t.Errorf("%s %s = %d Location %q Server %q, want %d Location %q", tt.method, tt.path, resp.StatusCode,
				resp.Header.Get("Location"), resp.Header.Get("Server"), tt.status, tt.location)
		}
	}
	reqs := tb.Requests(ServerHTTP)
	if len(reqs) != len(tests) || reqs[1].Method != "GET" || reqs[1].Path != "/anything/else" || reqs[1].TLS {
		t.Errorf("Requests(http) = %+v", reqs)
	}
	if n := len(tb.Requests(ServerHTTPS)); n != 0 {
		t.Errorf("Requests(https) has %d entries, want 0", n)
	}
}

func TestSlowWaitsAndIsBounded(t *testing.T) {
	saved := maxSlow
	t.Cleanup(func() { maxSlow = saved }) // runs after the testbed's Close
	maxSlow = 100 * time.Millisecond      // Start reads it: set it first
	tb := start(t, Options{})
	client := &http.Client{Timeout: 5 * time.Second}
	begin := time.Now()
	resp, err := client.Head("http://" + tb.HTTPAddr + "/slow?ms=30")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A lower bound only: the server sleeps at least what was asked.
	if elapsed := time.Since(begin); resp.StatusCode != 200 || elapsed < 30*time.Millisecond {
		t.Errorf("/slow?ms=30 = %d after %v, want 200 after at least 30ms", resp.StatusCode, elapsed)
	}
	// Far above the bound: answered anyway (within the client's 5 s), not
	// after 16 minutes.
	resp, err = client.Head("http://" + tb.HTTPAddr + "/slow?ms=999999")
	if err != nil {
		t.Fatalf("/slow?ms=999999 is not bounded: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/slow?ms=999999 = %d, want 200", resp.StatusCode)
	}
}

func TestTCPEchoes(t *testing.T) {
	tb := start(t, Options{})
	c, err := net.DialTimeout("tcp", tb.TCPAddr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo = %q, %v", line, err)
	}
	if n := tb.Accepted(ServerTCP); n != 1 {
		t.Errorf("Accepted(tcp) = %d, want 1", n)
	}
	tb.Reset()
	if n := tb.Accepted(ServerTCP); n != 0 {
		t.Errorf("Accepted(tcp) after Reset = %d", n)
	}
}

func TestCloseEndsHeldConnections(t *testing.T) {
	tb, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	held := []net.Conn{}
	for _, addr := range []string{tb.TCPAddr, tb.HTTPSAddr, tb.HTTPAddr} {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	closed := make(chan error, 1)
	go func() { closed <- tb.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on idle connections")
	}
	_ = held[0].SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := held[0].Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read on a held TCP connection after Close = %v, want EOF", err)
	}
	if err := tb.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(tb.CAFile)); !os.IsNotExist(err) {
		t.Errorf("temporary directory %s still exists after Close", filepath.Dir(tb.CAFile))
	}
}

func TestVarsAndEnv(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "dir")
	tb := start(t, Options{Dir: dir})
	if tb.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("CAFile = %s", tb.CAFile)
	}
	vars := tb.Vars()
	if vars["dns_server"] != tb.DNSAddr || vars["ca_file"] != tb.CAFile ||
		"127.0.0.1:"+vars["https_port"] != tb.HTTPSAddr || "127.0.0.1:"+vars["http_port"] != tb.HTTPAddr ||
		"127.0.0.1:"+vars["tcp_port"] != tb.TCPAddr || vars["dot_server"] != tb.DoTAddr ||
		vars["doh_url"] != "https://dns.probe.test:"+vars["https_port"]+"/dns-query" || len(vars) != 7 {
		t.Errorf("Vars = %v", vars)
	}
	env := tb.Env()
	want := []string{
		"PROBE_VAR_ca_file=" + tb.CAFile,
		"PROBE_VAR_dns_server=" + tb.DNSAddr,
		"PROBE_VAR_doh_url=" + tb.DoHURL,
		"PROBE_VAR_dot_server=" + tb.DoTAddr,
		"PROBE_VAR_http_port=" + vars["http_port"],
		"PROBE_VAR_https_port=" + vars["https_port"],
		"PROBE_VAR_tcp_port=" + vars["tcp_port"],
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("Env = %v, want %v", env, want)
	}
	for _, addr := range []string{tb.DNSAddr, tb.DoTAddr, tb.HTTPAddr, tb.HTTPSAddr, tb.TCPAddr} {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("%s is not a loopback address", addr)
		}
	}
}

// TestExampleFilesUseTheTestbedVariables keeps examples/*.hcl in step with
// Vars: every variable a file declares is one the testbed provides, and
// every variable the testbed provides is used by some file.
func TestExampleFilesUseTheTestbedVariables(t *testing.T) {
	tb := start(t, Options{})
	files, err := filepath.Glob("../*.hcl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example files found: %v", err)
	}
	used := map[string]bool{}
	for _, file := range files {
		for _, name := range declaredVariables(t, file) {
			if _, ok := tb.Vars()[name]; !ok {
				t.Errorf("%s declares %q, which the testbed does not provide", filepath.Base(file), name)
			}
			used[name] = true
		}
	}
	for name := range tb.Vars() {
		if !used[name] {
			t.Errorf("the testbed provides %q, but no example file declares it", name)
		}
	}
	for _, name := range []string{"dns_server", "http_port", "https_port", "tcp_port", "ca_file"} {
		if !slices.Contains(declaredVariables(t, "../testbed.hcl"), name) {
			t.Errorf("testbed.hcl does not declare %q", name)
		}
	}
}

func TestRelativeDirGivesAbsoluteCAFile(t *testing.T) {
	t.Chdir(t.TempDir())
	tb := start(t, Options{Dir: "certs"})
	if !filepath.IsAbs(tb.CAFile) || filepath.Base(filepath.Dir(tb.CAFile)) != "certs" {
		t.Errorf("CAFile = %s, want an absolute path ending in certs/ca.pem", tb.CAFile)
	}
	if _, err := os.Stat(tb.CAFile); err != nil {
		t.Error(err)
	}
}

func TestStartFailureIsAnErrorNotAPanic(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tb, err := Start(Options{Dir: filepath.Join(file, "sub")}) // a path through a regular file
	if err == nil || tb != nil {
		t.Fatalf("Start = %v, %v; want an error", tb, err)
	}
	if !strings.Contains(err.Error(), "creating "+filepath.Join(file, "sub")) {
		t.Errorf("error %q does not name the directory", err)
	}
}
