//go:build linux

package soak

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/core/config"
)

func startBed(t *testing.T) *Bed {
	t.Helper()
	bed, err := StartBed()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bed.Close(); err != nil {
			t.Errorf("closing the bed: %v", err)
		}
	})
	return bed
}

func query(t *testing.T, bed *Bed, name string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, bed.DNSAddr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func TestDNSAnswersByName(t *testing.T) {
	bed := startBed(t)
	for _, tc := range []struct {
		label string
		rcode int
		rr    string // the first answer record, "" for none
	}{
		{NameOK, dns.RcodeSuccess, "www.soak.test.\t60\tIN\tA\t127.0.0.1"},
		{NameExpired, dns.RcodeSuccess, "expired.soak.test.\t60\tIN\tA\t127.0.0.1"},
		{NameNX, dns.RcodeNameError, ""},
		{NameServFail, dns.RcodeServerFailure, ""},
		{NameLoop, dns.RcodeSuccess, "loop-a.soak.test.\t60\tIN\tCNAME\tloop-b.soak.test."},
		{"loop-b", dns.RcodeSuccess, "loop-b.soak.test.\t60\tIN\tCNAME\tloop-a.soak.test."},
	} {
		r := query(t, bed, Host(tc.label)+".")
		got := ""
		if len(r.Answer) > 0 {
			got = r.Answer[0].String()
		}
		if r.Rcode != tc.rcode || got != tc.rr {
			t.Errorf("%s: %s %q, want %s %q", tc.label, dns.RcodeToString[r.Rcode], got, dns.RcodeToString[tc.rcode], tc.rr)
		}
	}
	if r := query(t, bed, "example.com."); r.Rcode != dns.RcodeRefused {
		t.Errorf("a name outside the zone: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	if n := bed.DNSQueries(); n != 7 {
		t.Errorf("%d queries counted, want 7", n)
	}
}

// The answer for NameBadID carries another id: read raw, since a client
// would discard it.
func TestDNSBadIDAnswersWithAnotherID(t *testing.T) {
	bed := startBed(t)
	c, err := net.Dial("udp", bed.DNSAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := new(dns.Msg)
	m.SetQuestion(Host(NameBadID)+".", dns.TypeA)
	b, _ := m.Pack()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var r dns.Msg
	if err := r.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	if r.Id == m.Id || len(r.Answer) != 1 {
		t.Errorf("answer id %d to query id %d with %d records; want another id and the record", r.Id, m.Id, len(r.Answer))
	}
}

func TestRefusedPortRefuses(t *testing.T) {
	bed := startBed(t)
	_, err := net.DialTimeout("tcp", bed.Addr(ServerRefused), 5*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial: %v, want connection refused", err)
	}
}

// send dials server, writes a HEAD request and returns the connection.
func send(t *testing.T, bed *Bed, server string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", bed.Addr(server), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "HEAD / HTTP/1.1\r\nHost: www.soak.test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	return c
}

func TestSilentServerNeverAnswers(t *testing.T) {
	bed := startBed(t)
	c := send(t, bed, ServerSilent)
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("read %d bytes, %v; want nothing until the deadline", n, err)
	}
}

func TestResetServerResets(t *testing.T) {
	bed := startBed(t)
	c := send(t, bed, ServerReset)
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read: %v, want connection reset", err)
	}
}

func TestBigHeadersNeverEnd(t *testing.T) {
	bed := startBed(t)
	c := send(t, bed, ServerBigHeaders)
	r := bufio.NewReader(c)
	status, err := r.ReadString('\n')
	if err != nil || status != "HTTP/1.1 200 OK\r\n" {
		t.Fatalf("status line %q, %v", status, err)
	}
	head, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(head) < BigHeaderBytes || bytes.Contains(head, []byte("\r\n\r\n")) {
		t.Errorf("%d header bytes, end of headers %v; want at least %d and no end", len(head), bytes.Contains(head, []byte("\r\n\r\n")), BigHeaderBytes)
	}
}

func caPool(t *testing.T, bed *Bed) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(bed.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("no certificate in the CA file")
	}
	return pool
}

func TestExpiredCertificateIsExpired(t *testing.T) {
	bed := startBed(t)
	_, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", bed.Addr(ServerExpired),
		&tls.Config{ServerName: Host(NameExpired), RootCAs: caPool(t, bed)})
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("handshake: %v, want an expired certificate", err)
	}
}

// The healthy servers and the slow proxy answer HEAD with 200, and count
// their connections.
func TestHealthyServersAnswer(t *testing.T) {
	bed := startBed(t)
	pool := caPool(t, bed)
	for _, tc := range []struct{ server, scheme string }{
		{ServerHTTP, "http"}, {ServerHTTPS, "https"}, {ServerSlow, "http"},
	} {
		addr := bed.Addr(tc.server)
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		}}
		req, _ := http.NewRequest(http.MethodHead, tc.scheme+"://"+Host(NameOK)+"/", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s: %v", tc.server, err)
			continue
		}
		resp.Body.Close()
		client.CloseIdleConnections()
		if resp.StatusCode != http.StatusOK || bed.Accepted(tc.server) != 1 {
			t.Errorf("%s: status %d, %d connections accepted; want 200 over one", tc.server, resp.StatusCode, bed.Accepted(tc.server))
		}
	}
}

// The generated targets file is one probe accepts, with every target.
func TestFileLoads(t *testing.T) {
	bed := startBed(t)
	targets, err := Targets(bed, 2)
	if err != nil {
		t.Fatal(err)
	}
	src := File(bed, targets, FileOptions{Count: 7})
	f, diags := config.NewLoader().LoadSource("soak.hcl", []byte(src), config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, src)
	}
	if len(f.Targets) != 2*len(Kinds) || f.Run.Count != 7 {
		t.Errorf("%d targets, count %d; want %d and 7", len(f.Targets), f.Run.Count, 2*len(Kinds))
	}
	if !strings.Contains(src, bed.DNSAddr) || strings.Contains(src, "/etc/resolv.conf") {
		t.Errorf("the file must resolve through the bed's server only:\n%s", src)
	}
}
