//go:build linux

package dnsphase

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

func TestDoT(t *testing.T) {
	cert, caFile := testCert(t)
	zone := newTestZone(t)
	addr := startDoT(t, zone, cert)
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{addr}, "transport": "dot", "ca_file": caFile, "tls_server_name": "dns.probe.test",
	})
	res := mustResolve(t, h, "www.probe.test")
	if addrList(res) != "[2001:db8::1 192.0.2.1]" || res.Attributes["dns.transport"] != "dot" || res.Attributes["dns.server"] != addr {
		t.Errorf("result = %+v", res)
	}
	if q := zone.queries(); len(q) != 2 || q[0].network != "tcp" {
		t.Errorf("server saw %v, want two queries over TLS", q)
	}

	_, err := resolveHost(t, h, "nope.probe.test")
	if sdktest.Kind(err) != sdk.KindNXDomain {
		t.Errorf("nxdomain over dot: err = %v", err)
	}

	// Without tls_server_name the certificate is checked against the IP.
	h = configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "transport": "dot", "ca_file": caFile})
	mustResolve(t, h, "www.probe.test")
}

func TestDoTRejectsUntrustedCertificate(t *testing.T) {
	cert, _ := testCert(t)
	_, otherCA := testCert(t)
	addr := startDoT(t, newTestZone(t), cert)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "transport": "dot", "ca_file": otherCA, "attempts": 1})
	_, err := resolveHost(t, h, "www.probe.test")
	if sdktest.Kind(err) != sdk.KindDNS || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("err = %v (kind %q), want a dns error about the certificate", err, sdktest.Kind(err))
	}
}

// dohServer is an RFC 8484 server answering from a testZone.
type dohServer struct {
	zone  *testZone
	mu    sync.Mutex
	hosts []string // Host header of each request
	bad   []string // what was wrong with requests
}

func (d *dohServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	q := new(dns.Msg)
	d.mu.Lock()
	d.hosts = append(d.hosts, r.Host)
	switch {
	case r.Method != http.MethodPost || r.Header.Get("Content-Type") != dohMediaType:
		d.bad = append(d.bad, r.Method+" "+r.Header.Get("Content-Type"))
	case q.Unpack(body) != nil || q.Id != 0:
		d.bad = append(d.bad, "message not unpackable or id not 0")
	}
	d.mu.Unlock()
	if len(q.Question) == 0 || q.Question[0].Name == "http500.probe.test." {
		http.Error(w, "no", http.StatusInternalServerError)
		return
	}
	d.zone.note(q, "https")
	packed, err := d.zone.reply(q).Pack()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", dohMediaType)
	if q.Question[0].Name == "status203.probe.test." {
		w.WriteHeader(http.StatusNonAuthoritativeInfo) // a 2xx other than 200
	}
	w.Write(packed)
}

func startDoH(t *testing.T, cert tls.Certificate) (*dohServer, *httptest.Server) {
	d := &dohServer{zone: newTestZone(t)}
	srv := httptest.NewUnstartedServer(d)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return d, srv
}

func TestDoH(t *testing.T) {
	cert, caFile := testCert(t)
	d, srv := startDoH(t, cert)
	url := srv.URL + "/dns-query"
	h := configured(t, testPhase(t), map[string]any{"servers": []string{url}, "transport": "doh", "ca_file": caFile})

	res := mustResolve(t, h, "alias.probe.test")
	if addrList(res) != "[2001:db8::1 192.0.2.1]" || res.Attributes["dns.server"] != url || res.Attributes["dns.transport"] != "doh" {
		t.Errorf("result = %+v", res)
	}
	d.mu.Lock()
	bad := d.bad
	d.mu.Unlock()
	if len(d.zone.queries()) != 2 || len(bad) != 0 {
		t.Errorf("server saw %v; bad requests: %v", d.zone.queries(), bad)
	}

	_, err := resolveHost(t, h, "nope.probe.test")
	if sdktest.Kind(err) != sdk.KindNXDomain {
		t.Errorf("nxdomain over doh: err = %v", err)
	}
	_, err = resolveHost(t, h, "http500.probe.test")
	if sdktest.Kind(err) != sdk.KindDNS || !strings.Contains(err.Error(), "http status 500") {
		t.Errorf("http 500: err = %v (kind %q), want a dns error naming the status", err, sdktest.Kind(err))
	}
}

func TestDoHBootstrap(t *testing.T) {
	cert, caFile := testCert(t)
	d, srv := startDoH(t, cert)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	url := "https://doh.probe.test:" + port + "/dns-query"
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{url}, "transport": "doh", "ca_file": caFile, "bootstrap": []string{"127.0.0.1"},
	})
	res := mustResolve(t, h, "www.probe.test")
	if addrList(res) != "[2001:db8::1 192.0.2.1]" || res.Attributes["dns.server"] != url {
		t.Errorf("result = %+v", res)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, host := range d.hosts {
		if host != "doh.probe.test:"+port {
			t.Errorf("request for host %q, want doh.probe.test:%s", host, port)
		}
	}
}

// unansweringListener listens on ip:port with a zero backlog and fills its
// accept queue, so that further connects hang (as to a blackholed address).
func unansweringListener(t *testing.T, ip netip.Addr, port int) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "unanswering")
	t.Cleanup(func() { f.Close() })
	if err := unix.Bind(fd, &unix.SockaddrInet6{Addr: ip.As16(), Port: port}); err != nil {
		t.Skipf("cannot bind [%s]:%d: %v", ip, port, err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return // the queue is full: connects now hang
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel keeps completing handshakes past the backlog")
}

// A bootstrap address that never answers must not starve the next one.
func TestDoHBootstrapFallsBackPastAnUnansweringAddress(t *testing.T) {
	cert, caFile := testCert(t)
	_, srv := startDoH(t, cert)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	p, _ := strconv.Atoi(port)
	unansweringListener(t, netip.MustParseAddr("::1"), p)
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{"https://doh.probe.test:" + port + "/dns-query"}, "transport": "doh",
		"ca_file": caFile, "bootstrap": []string{"::1", "127.0.0.1"}, "timeout": "1s", "attempts": 1,
		"families": []string{"ipv4"},
	})
	res := mustResolve(t, h, "www.probe.test")
	if addrList(res) != "[192.0.2.1]" {
		t.Errorf("result = %+v", res)
	}
}

// A server that answers, badly, is not asked again: only timeouts and
// network errors are retried.
func TestDoHErrorStatusIsNotRetried(t *testing.T) {
	cert, caFile := testCert(t)
	d, srv := startDoH(t, cert)
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{srv.URL + "/dns-query"}, "transport": "doh", "ca_file": caFile,
		"attempts": 3, "families": []string{"ipv4"},
	})
	if _, err := resolveHost(t, h, "http500.probe.test"); sdktest.Kind(err) != sdk.KindDNS {
		t.Fatalf("err = %v", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := len(d.hosts); n != 1 {
		t.Errorf("the server got %d requests, want 1 (an HTTP 500 is an answer, not a lost query)", n)
	}
}

// RFC 8484 §4.2.1: any 2xx carries an answer.
func TestDoHAcceptsAny2xx(t *testing.T) {
	cert, caFile := testCert(t)
	_, srv := startDoH(t, cert)
	h := configured(t, testPhase(t), map[string]any{
		"servers": []string{srv.URL + "/dns-query"}, "transport": "doh", "ca_file": caFile, "families": []string{"ipv4"},
	})
	// The zone has no such name: the 203 carries an NXDOMAIN answer.
	if _, err := resolveHost(t, h, "status203.probe.test"); sdktest.Kind(err) != sdk.KindNXDomain {
		t.Errorf("err = %v (kind %q); want the answer's nxdomain, not an http error", err, sdktest.Kind(err))
	}
}

// dns.bootstrap says how a DoH server's own name was reached: the bootstrap
// addresses, or the system resolver, which the output must not hide.
func TestDoHBootstrapIsReported(t *testing.T) {
	cert, caFile := testCert(t)
	_, srv := startDoH(t, cert)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	named := "https://doh.probe.test:" + port + "/dns-query"

	h := configured(t, testPhase(t), map[string]any{"servers": []string{named}, "transport": "doh", "ca_file": caFile, "bootstrap": []string{"127.0.0.1"}})
	if res := mustResolve(t, h, "www.probe.test"); res.Attributes["dns.bootstrap"] != "127.0.0.1" {
		t.Errorf("with bootstrap: dns.bootstrap = %v, want 127.0.0.1", res.Attributes["dns.bootstrap"])
	}
	h = configured(t, testPhase(t), map[string]any{"servers": []string{srv.URL + "/dns-query"}, "transport": "doh", "ca_file": caFile})
	if res := mustResolve(t, h, "www.probe.test"); res.Attributes["dns.bootstrap"] != nil {
		t.Errorf("IP in the URL: dns.bootstrap = %v, want none", res.Attributes["dns.bootstrap"])
	}

	// Without bootstrap the name would go to the system resolver, which no
	// test may ask: the run is canceled before it dials, and the result
	// still says who would have resolved the name.
	p := testPhase(t)
	if err := p.Configure(sdk.NewConfig([]byte(toJSON(t, map[string]any{"servers": []string{named}, "transport": "doh", "ca_file": caFile})))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := p.Run(ctx, &sdk.Request{Target: sdk.Target{Host: "www.probe.test"}})
	if sdk.Classify(err) != sdk.KindCanceled || res == nil || res.Attributes["dns.bootstrap"] != "system resolver" {
		t.Errorf("no bootstrap: err %v, attributes %v; want canceled and dns.bootstrap \"system resolver\"", err, res)
	}
}
