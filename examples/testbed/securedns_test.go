package testbed

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestDNSNoUDPDropsUDPButAnswersTCP(t *testing.T) {
	tb := start(t, Options{DNSNoUDP: true})
	q := new(dns.Msg).SetQuestion("www.probe.test.", dns.TypeA)

	udp := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	_, _, err := udp.Exchange(q, tb.DNSAddr)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("UDP query with DNSNoUDP: err = %v, want a timeout", err)
	}
	// The blackhole read the datagram before the client gave up; allow its
	// goroutine a bounded moment to count it.
	waitUntil(t, "the dropped datagram to be counted", func() bool { return tb.DroppedUDP() == 1 })

	tcp := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	r, _, err := tcp.Exchange(q, tb.DNSAddr)
	if err != nil || r.Rcode != dns.RcodeSuccess || !reflect.DeepEqual(rdata(t, r.Answer), []string{"127.0.0.1"}) {
		t.Fatalf("TCP query with DNSNoUDP = %v, %v; want www.probe.test A 127.0.0.1", r, err)
	}
	want := []DNSQuery{{"www.probe.test.", "A", NetTCP}}
	if got := tb.DNSQueries(); !reflect.DeepEqual(got, want) {
		t.Errorf("DNSQueries = %v, want only the TCP query %v", got, want)
	}
	tb.Reset()
	if n := tb.DroppedUDP(); n != 0 {
		t.Errorf("DroppedUDP after Reset = %d", n)
	}
}

func TestDNSNoUDPCloses(t *testing.T) {
	tb, err := Start(Options{DNSNoUDP: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- tb.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on the UDP blackhole")
	}
	// The port is free again: the socket was closed, not leaked.
	pc, err := net.ListenPacket("udp", tb.DNSAddr)
	if err != nil {
		t.Fatalf("UDP port %s still held after Close: %v", tb.DNSAddr, err)
	}
	pc.Close()
}

func TestDoTAnswersTheZone(t *testing.T) {
	tb := start(t, Options{DNSNoUDP: true})
	// The certificate covers the name and the IP address alike.
	for _, name := range []string{DNSServerName, "127.0.0.1"} {
		c := &dns.Client{Net: "tcp-tls", Timeout: 2 * time.Second,
			TLSConfig: &tls.Config{RootCAs: caPool(t, tb), ServerName: name}}
		r, _, err := c.Exchange(new(dns.Msg).SetQuestion("alias.probe.test.", dns.TypeA), tb.DoTAddr)
		if err != nil {
			t.Fatalf("DoT verifying %s: %v", name, err)
		}
		if got := rdata(t, r.Answer); !reflect.DeepEqual(got, []string{"www.probe.test.", "127.0.0.1"}) {
			t.Errorf("DoT alias.probe.test A = %v", got)
		}
	}
	want := []DNSQuery{{"alias.probe.test.", "A", NetTLS}, {"alias.probe.test.", "A", NetTLS}}
	if got := tb.DNSQueries(); !reflect.DeepEqual(got, want) {
		t.Errorf("DNSQueries = %v, want %v", got, want)
	}
	if n := tb.Accepted(ServerDoT); n != 2 {
		t.Errorf("Accepted(dot) = %d, want 2", n)
	}
	if n := tb.Handshakes(); n != 0 {
		t.Errorf("Handshakes = %d; DoT handshakes are not the https server's", n)
	}
}

func TestDoTRejectsAnUntrustingClient(t *testing.T) {
	tb := start(t, Options{})
	c := &dns.Client{Net: "tcp-tls", Timeout: 2 * time.Second,
		TLSConfig: &tls.Config{RootCAs: x509.NewCertPool(), ServerName: DNSServerName}}
	if _, _, err := c.Exchange(new(dns.Msg).SetQuestion("www.probe.test.", dns.TypeA), tb.DoTAddr); err == nil {
		t.Fatal("DoT query succeeded without trusting the testbed CA")
	}
	if q := tb.DNSQueries(); len(q) != 0 {
		t.Errorf("DNSQueries = %v, want none", q)
	}
}

// dohClient reaches the DoH URL's host at 127.0.0.1 (nothing resolves
// dns.probe.test), verifying the certificate against the name.
func dohClient(t *testing.T, tb *Testbed) *http.Client {
	var d net.Dialer
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: caPool(t, tb)},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				_, port, _ := net.SplitHostPort(addr)
				return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
			},
		},
	}
}

func postDoH(t *testing.T, c *http.Client, url, contentType string, body []byte) *http.Response {
	t.Helper()
	resp, err := c.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestDoHAnswersTheZone(t *testing.T) {
	tb := start(t, Options{DNSNoUDP: true})
	u, err := url.Parse(tb.DoHURL)
	if err != nil || u.Scheme != "https" || u.Hostname() != DNSServerName || u.Port() != port(tb.HTTPSAddr) || u.Path != DoHPath {
		t.Fatalf("DoHURL = %q (%v)", tb.DoHURL, err)
	}
	query, _ := new(dns.Msg).SetQuestion("v6.probe.test.", dns.TypeAAAA).Pack()
	resp := postDoH(t, dohClient(t, tb), tb.DoHURL, "application/dns-message", query)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/dns-message" {
		t.Fatalf("DoH = %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	r := new(dns.Msg)
	if err := r.Unpack(body); err != nil {
		t.Fatalf("DoH answer: %v", err)
	}
	if got := rdata(t, r.Answer); r.Rcode != dns.RcodeSuccess || !reflect.DeepEqual(got, []string{"::1"}) {
		t.Errorf("DoH v6.probe.test AAAA = %s %v, want NOERROR [::1]", dns.RcodeToString[r.Rcode], got)
	}
	if got, want := tb.DNSQueries(), []DNSQuery{{"v6.probe.test.", "AAAA", NetHTTPS}}; !reflect.DeepEqual(got, want) {
		t.Errorf("DNSQueries = %v, want %v", got, want)
	}
	reqs := tb.Requests(ServerHTTPS)
	if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != DoHPath || reqs[0].Host != u.Host || !reqs[0].TLS {
		t.Errorf("Requests(https) = %+v, want one POST %s over TLS", reqs, DoHPath)
	}
}

func TestDoHRejectsWhatIsNotAQuery(t *testing.T) {
	tb := start(t, Options{})
	c := dohClient(t, tb)
	query, _ := new(dns.Msg).SetQuestion("www.probe.test.", dns.TypeA).Pack()
	tests := []struct {
		name, contentType string
		body              []byte
		status            int
	}{
		{"wrong content type", "text/plain", query, http.StatusUnsupportedMediaType},
		{"not a DNS message", "application/dns-message", []byte("hello"), http.StatusBadRequest},
		{"too large", "application/dns-message", make([]byte, dns.MaxMsgSize+1), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		if resp := postDoH(t, c, tb.DoHURL, tt.contentType, tt.body); resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
	}
	resp, err := c.Get(tb.DoHURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET %s = %d Allow %q, want 405 Allow POST", DoHPath, resp.StatusCode, resp.Header.Get("Allow"))
	}
	if q := tb.DNSQueries(); len(q) != 0 {
		t.Errorf("DNSQueries = %v, want none", q)
	}
	// The plain HTTP server has no DoH: POST there is refused as anywhere.
	plainClient := &http.Client{Timeout: 5 * time.Second}
	plain, err := plainClient.Post("http://"+tb.HTTPAddr+DoHPath, "application/dns-message", bytes.NewReader(query))
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if plain.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(plain.Header.Get("Allow"), "GET") {
		t.Errorf("POST http://.../dns-query = %d, want 405 (no DoH on plain HTTP)", plain.StatusCode)
	}
}

// waitUntil polls cond for up to 2 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
