package benchsuite

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Zone is the DNS zone the loopback DNS server answers for. Target i is
// named Name(i) and resolves to Addr(i): targets spread over Addresses
// loopback addresses, so 100,000 connections do not share one 4-tuple
// space.
const Zone = "bench.test."

// servers are the running servers behind a Loopback, in the process
// that serves them.
type servers struct {
	Loopback
	dir string
	web *http.Server
	dns []*dns.Server
}

// Name returns the host name of target i.
func Name(i int) string { return fmt.Sprintf("t%06d.%s", i, strings.TrimSuffix(Zone, ".")) }

// Addr returns the address target i resolves to.
func (l *Loopback) Addr(i int) netip.Addr { return l.Addrs[i%len(l.Addrs)] }

// addrOf is Addr for the servers' DNS handler.
func addrOf(addrs []netip.Addr, i int) netip.Addr { return addrs[i%len(addrs)] }

// loopbackAddr is 127.0.0.1 for n = 0, then addresses of 127.0.1.0/24,
// 127.0.2.0/24, ...
func loopbackAddr(n int) netip.Addr {
	if n == 0 {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return netip.AddrFrom4([4]byte{127, 0, byte(1 + n/256), byte(n % 256)})
}

// startServers starts the servers; close stops them. The first address
// is 127.0.0.1.
func startServers(opts LoopbackOptions) (*servers, error) {
	n := max(opts.Addresses, 1)
	if n > 250*256 {
		return nil, fmt.Errorf("at most %d addresses", 250*256)
	}
	dir, err := os.MkdirTemp("", "probe-bench-")
	if err != nil {
		return nil, err
	}
	l := &servers{dir: dir}
	for i := range n {
		l.Addrs = append(l.Addrs, loopbackAddr(i))
	}
	if err := l.start(opts); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *servers) start(opts LoopbackOptions) error {
	certs, caPEM, err := newCertificates(l.Addrs)
	if err != nil {
		return err
	}
	l.CAFile = filepath.Join(l.dir, "ca.pem")
	if err := os.WriteFile(l.CAFile, caPEM, 0o644); err != nil {
		return err
	}
	if err := l.startHTTPS(certs); err != nil {
		return fmt.Errorf("starting the HTTPS server: %w", err)
	}
	addr, err := l.serveDNS("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the DNS server: %w", err)
	}
	l.DNSAddr = addr
	if opts.DNSPort53 {
		l.DNS53Addr, l.DNS53Error = l.serveDNS53()
	}
	return nil
}

// serveDNS53 serves the zone on port 53 of one of 127.0.53.53-59, for a
// client that cannot be told another port (blackbox_exporter via a
// resolv.conf).
func (l *servers) serveDNS53() (string, string) {
	var errs []error
	for i := 53; i < 60; i++ {
		addr, err := l.serveDNS(fmt.Sprintf("127.0.53.%d:53", i))
		if err == nil {
			return addr, ""
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...).Error()
}

// startHTTPS listens on the same port of every address, retrying with a
// new port when one of them is taken.
func (l *servers) startHTTPS(certs map[netip.Addr]*tls.Certificate) error {
	var errs []error
	for attempt := 0; attempt < 10; attempt++ {
		lns, err := listenAll(l.Addrs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.HTTPSPort = lns[0].Addr().(*net.TCPAddr).Port
		l.web = &http.Server{
			Handler:           http.HandlerFunc(serveOK),
			ReadHeaderTimeout: 5 * time.Second,
			IdleTimeout:       5 * time.Second,
			TLSConfig: &tls.Config{NextProtos: []string{"http/1.1"}, GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
				if a, ok := hello.Conn.LocalAddr().(*net.TCPAddr); ok {
					if c, ok := certs[a.AddrPort().Addr().Unmap()]; ok {
						return c, nil
					}
				}
				return nil, fmt.Errorf("no certificate for %v", hello.Conn.LocalAddr())
			}},
			ErrorLog: log.New(io.Discard, "", 0), // a probe's failure is reported by the probe
		}
		for _, ln := range lns {
			go func() { _ = l.web.ServeTLS(ln, "", "") }()
		}
		return nil
	}
	return errors.Join(errs...)
}

func listenAll(addrs []netip.Addr) ([]net.Listener, error) {
	first, err := net.Listen("tcp", netip.AddrPortFrom(addrs[0], 0).String())
	if err != nil {
		return nil, err
	}
	port := first.Addr().(*net.TCPAddr).Port
	lns := []net.Listener{first}
	for _, a := range addrs[1:] {
		ln, err := net.Listen("tcp", netip.AddrPortFrom(a, uint16(port)).String())
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func serveOK(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", "3")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte("ok\n"))
	}
}

// serveDNS starts a DNS server for Zone at addr (UDP and TCP; port 0
// picks a free one) and returns its address.
func (l *servers) serveDNS(addr string) (string, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return "", fmt.Errorf("DNS address %q: want a loopback IP:port", addr)
	}
	var errs []error
	for attempt := 0; attempt < 5; attempt++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return "", err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			errs = append(errs, err)
			continue
		}
		h := dnsHandler{l.Addrs}
		servers := []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h, ReadTimeout: 5 * time.Second}}
		for _, s := range servers {
			if err := activate(s); err != nil {
				pc.Close()
				ln.Close()
				return "", err
			}
			l.dns = append(l.dns, s)
		}
		return pc.LocalAddr().String(), nil
	}
	return "", errors.Join(errs...)
}

func activate(s *dns.Server) error {
	started := make(chan struct{})
	errc := make(chan error, 1)
	s.NotifyStartedFunc = func() { close(started) }
	go func() { errc <- s.ActivateAndServe() }()
	select {
	case <-started:
		return nil
	case err := <-errc:
		return err
	case <-time.After(5 * time.Second):
		return errors.New("DNS server did not start within 5s")
	}
}

type dnsHandler struct{ addrs []netip.Addr }

// ServeDNS answers tNNNNNN.bench.test A with the target's address; AAAA is
// NODATA; anything else in the zone NXDOMAIN; outside it REFUSED.
func (h dnsHandler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if req.IsEdns0() != nil {
		m.SetEdns0(1232, false)
	}
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	i, ok := targetIndex(name)
	switch {
	case !dns.IsSubDomain(Zone, name):
		m.Rcode, m.Authoritative = dns.RcodeRefused, false
	case !ok:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa()}
	case q.Qtype == dns.TypeA:
		a := addrOf(h.addrs, i).As4()
		m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IP(a[:])}}
	default:
		m.Ns = []dns.RR{soa()}
	}
	_ = w.WriteMsg(m)
}

func targetIndex(name string) (int, bool) {
	label, rest, ok := strings.Cut(name, ".")
	if !ok || rest != Zone || len(label) < 2 || label[0] != 't' {
		return 0, false
	}
	i, err := strconv.Atoi(label[1:])
	return i, err == nil && i >= 0
}

func soa() dns.RR {
	return &dns.SOA{Hdr: dns.RR_Header{Name: Zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
		Ns: "ns." + Zone, Mbox: "hostmaster." + Zone, Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: 60}
}

// close stops every server and removes the CA file.
func (l *servers) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if l.web != nil {
		errs = append(errs, l.web.Shutdown(ctx))
	}
	for _, s := range l.dns {
		errs = append(errs, s.ShutdownContext(ctx))
	}
	errs = append(errs, os.RemoveAll(l.dir))
	return errors.Join(errs...)
}

// newCertificates makes a throwaway CA and, for each address, a leaf for
// *.bench.test and that address (as a site's certificate names a few
// names, not 64 addresses), ECDSA P-256, valid for a day.
func newCertificates(addrs []netip.Addr) (map[netip.Addr]*tls.Certificate, []byte, error) {
	notBefore := time.Now().Add(-5 * time.Minute)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "probe bench CA"},
		NotBefore: notBefore, NotAfter: notBefore.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	certs := map[netip.Addr]*tls.Certificate{}
	for _, a := range addrs {
		tmpl := &x509.Certificate{
			SerialNumber: serial(), Subject: pkix.Name{CommonName: "bench.test"},
			NotBefore: notBefore, NotAfter: notBefore.Add(24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			DNSNames:    []string{"*.bench.test", "bench.test"},
			IPAddresses: []net.IP{net.IP(a.AsSlice())},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		certs[a] = &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return certs, caPEM, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	return n
}
