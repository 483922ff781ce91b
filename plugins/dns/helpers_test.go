//go:build linux

package dnsphase

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

// zoneText is what the test server knows. Names not in it are NXDOMAIN,
// except the special ones in testZone.reply.
const zoneText = `
www.probe.test.      300 IN A     192.0.2.1
www.probe.test.      300 IN AAAA  2001:db8::1
v4only.probe.test.   300 IN A     192.0.2.2
alias.probe.test.     60 IN CNAME mid.probe.test.
mid.probe.test.      120 IN CNAME www.probe.test.
split.probe.test.     30 IN CNAME www.probe.test.
loop1.probe.test.    300 IN CNAME loop2.probe.test.
loop2.probe.test.    300 IN CNAME loop1.probe.test.
short.probe.test.      1 IN A     192.0.2.9
`

// splitNames are answered with their own records only: the client must
// ask again for the CNAME target.
var splitNames = map[string]bool{"split.probe.test.": true}

type loggedQuery struct {
	name, qtype, network string
}

// testZone is a dns.Handler answering from zoneText plus generated names,
// logging every question.
type testZone struct {
	records map[string][]dns.RR
	mu      sync.Mutex
	log     []loggedQuery
}

func newTestZone(t *testing.T) *testZone {
	z := &testZone{records: map[string][]dns.RR{}}
	var lines []string
	for line := range strings.Lines(zoneText) {
		if strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	for i := range 100 { // big: more than fits in 1232 bytes
		lines = append(lines, fmt.Sprintf("big.probe.test. 300 IN A 10.0.%d.%d", i/250, i%250+1))
	}
	for i := range 9 { // chain0 -> chain1 -> ... -> chain9 -> www: 10 hops
		lines = append(lines, fmt.Sprintf("chain%d.probe.test. 300 IN CNAME chain%d.probe.test.", i, i+1))
	}
	lines = append(lines, "chain9.probe.test. 300 IN CNAME www.probe.test.")
	for _, line := range lines {
		rr, err := dns.NewRR(line)
		if err != nil {
			t.Fatalf("zone line %q: %v", line, err)
		}
		z.records[rr.Header().Name] = append(z.records[rr.Header().Name], rr)
	}
	return z
}

func (z *testZone) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	network := w.LocalAddr().Network()
	z.note(r, network)
	m := z.reply(r)
	if network == "udp" {
		m.Truncate(udpSize(r))
	}
	w.WriteMsg(m)
}

// reply builds the answer to r, as a recursive resolver would: CNAME chains
// are followed inside the zone (bounded), except for splitNames.
func (z *testZone) reply(r *dns.Msg) *dns.Msg {
	q := r.Question[0]
	m := new(dns.Msg)
	m.SetReply(r)
	switch name := strings.ToLower(q.Name); name {
	case "servfail.probe.test.":
		m.Rcode = dns.RcodeServerFailure
	case "refused.probe.test.":
		m.Rcode = dns.RcodeRefused
	default:
		if _, ok := z.records[name]; !ok {
			m.Rcode = dns.RcodeNameError
			return m
		}
		m.Answer = z.chase(name, q.Qtype)
	}
	return m
}

func (z *testZone) chase(name string, qtype uint16) []dns.RR {
	var out []dns.RR
	for range 20 {
		var cname *dns.CNAME
		for _, rr := range z.records[name] {
			switch {
			case rr.Header().Rrtype == qtype:
				out = append(out, rr)
			case rr.Header().Rrtype == dns.TypeCNAME:
				cname = rr.(*dns.CNAME)
			}
		}
		if cname == nil {
			return out
		}
		out = append(out, cname)
		if splitNames[name] {
			return out
		}
		name = cname.Target
	}
	return out
}

func udpSize(r *dns.Msg) int {
	if opt := r.IsEdns0(); opt != nil {
		return int(opt.UDPSize())
	}
	return dns.MinMsgSize
}

func (z *testZone) note(r *dns.Msg, network string) {
	q := r.Question[0]
	z.mu.Lock()
	defer z.mu.Unlock()
	z.log = append(z.log, loggedQuery{strings.ToLower(q.Name), dns.TypeToString[q.Qtype], network})
}

// queries returns the questions logged so far.
func (z *testZone) queries() []loggedQuery {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]loggedQuery(nil), z.log...)
}

// startDNS serves h over UDP and TCP on the same 127.0.0.1 port and
// returns "127.0.0.1:port".
func startDNS(t *testing.T, h dns.Handler) string {
	t.Helper()
	for range 10 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		ln, err := net.Listen("tcp", addr)
		if err != nil { // the TCP port is taken: try another one
			pc.Close()
			continue
		}
		serveDNS(t, &dns.Server{PacketConn: pc, Handler: h})
		serveDNS(t, &dns.Server{Listener: ln, Handler: h})
		return addr
	}
	t.Fatal("no port free for both UDP and TCP")
	return ""
}

// startDoT serves h over DNS over TLS on 127.0.0.1.
func startDoT(t *testing.T, h dns.Handler, cert tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	serveDNS(t, &dns.Server{Net: "tcp-tls", Listener: ln, Handler: h})
	return ln.Addr().String()
}

func serveDNS(t *testing.T, srv *dns.Server) {
	t.Helper()
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("dns server did not start")
	}
	t.Cleanup(func() { srv.Shutdown() })
}

// startSilent opens a UDP socket that reads queries and never answers; it
// returns its address and a count of the queries it got.
func startSilent(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var got atomic.Int64
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			got.Add(1)
		}
	}()
	return pc.LocalAddr().String(), &got
}

// testCert is a self-signed certificate for dns.probe.test, doh.probe.test,
// 127.0.0.1 and ::1; caFile is its PEM, to be trusted as a root.
func testCert(t *testing.T) (cert tls.Certificate, caFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "probe test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"dns.probe.test", "doh.probe.test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

// writeFile writes content to a new file in a temp dir and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testPhase is a phase whose system files (resolv.conf, hosts) lead
// nowhere, so that no test reads the machine's own resolver config by
// accident.
func testPhase(t *testing.T) *Phase {
	p := New()
	dir := t.TempDir()
	p.system = system{resolvConf: filepath.Join(dir, "resolv.conf-absent"), hosts: filepath.Join(dir, "hosts-absent")}
	return p
}

// configured returns a harness for p configured with cfg, which must be
// accepted.
func configured(t *testing.T, p *Phase, cfg map[string]any) *sdktest.Harness {
	t.Helper()
	h := sdktest.New(t, p)
	if problems := h.Configure(t, toJSON(t, cfg)); len(problems) > 0 {
		t.Fatalf("config rejected: %v", problems)
	}
	return h
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// resolveHost runs the phase for host with a bounded context. An error
// that is not a phase failure fails the test.
func resolveHost(t *testing.T, h *sdktest.Harness, host string) (*sdk.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := h.Run(ctx, &sdk.Request{Target: sdk.Target{Host: host, Port: 443}})
	if err != nil && sdktest.Kind(err) == "" {
		t.Fatalf("run %s: rpc failed: %v", host, err)
	}
	return res, err
}

// mustResolve runs the phase for host and fails the test on error.
func mustResolve(t *testing.T, h *sdktest.Harness, host string) *sdk.Result {
	t.Helper()
	res, err := resolveHost(t, h, host)
	if err != nil {
		t.Fatalf("resolve %s: %v (kind %s)", host, err, sdktest.Kind(err))
	}
	if res.Duration <= 0 {
		t.Errorf("resolve %s: duration %v, want > 0", host, res.Duration)
	}
	return res
}

// addrList renders result addresses for comparison.
func addrList(res *sdk.Result) string {
	return fmt.Sprint(res.Addresses)
}
