// Package testbed runs the loopback servers probe's demo and tests aim at:
// an authoritative DNS server for the zone probe.test (over UDP and TCP, DNS
// over TLS, and DNS over HTTPS at the HTTPS server's /dns-query), a plain
// HTTP server, an HTTPS server whose certificate comes from a throwaway CA,
// and a TCP echo server, all on 127.0.0.1. Nothing in it touches any other
// address.
//
// Options.DNSNoUDP makes plain UDP DNS impossible, as on a network whose
// firewall drops port 53/udp: the UDP socket stays bound but nothing
// answers, so a UDP query times out. TCP, DoT and DoH keep working.
//
// The DNS zone:
//
//	www.probe.test      A     127.0.0.1
//	secure.probe.test   A     127.0.0.1
//	alias.probe.test    CNAME www.probe.test
//	v6.probe.test       AAAA  ::1 (no A record)
//	servfail.probe.test       SERVFAIL
//	other names in probe.test NXDOMAIN
//	names outside probe.test  REFUSED
//
// Counters (Accepted, Handshakes, Requests, DNSQueries, DroppedUDP) let a
// test prove what travelled over the wire, for example that one TCP
// connection carried both the TLS handshake and the HTTP request, or that
// no DNS query went over UDP.
package testbed

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/probe-net/probe/internal/loopback"
)

// Options configures Start.
type Options struct {
	// Dir is where ca.pem is written (created if needed). The default is a
	// new temporary directory, which Close removes; a given Dir is left in
	// place with its ca.pem.
	Dir string

	// DNSNoUDP stops the DNS server answering over UDP. Its UDP port stays
	// bound, so no other program can take it, but every datagram is read
	// and dropped (DroppedUDP counts them), like a firewall's DROP rule: a
	// UDP query gets no answer and times out after the client's timeout.
	// Dropping, not closing the port, makes the failure deterministic: a
	// closed port would give "connection refused", or an answer from
	// whatever program bound the port next. TCP on the same port, DoT and
	// DoH are unaffected.
	DNSNoUDP bool
}

// Testbed is a set of running loopback servers.
type Testbed struct {
	DNSAddr   string // "127.0.0.1:PORT": DNS on UDP and TCP at the same port
	DoTAddr   string // "127.0.0.1:PORT": DNS over TLS, certificate for DNSServerName and 127.0.0.1
	DoHURL    string // "https://dns.probe.test:PORT/dns-query": DoH on the HTTPS server (dial 127.0.0.1)
	HTTPAddr  string // "127.0.0.1:PORT": plain HTTP
	HTTPSAddr string // "127.0.0.1:PORT": HTTPS, certificate signed by CAFile
	TCPAddr   string // "127.0.0.1:PORT": TCP echo server
	CAFile    string // absolute path of the throwaway CA's certificate (PEM)

	counters counters
	tempDir  string // removed by Close; "" when Options.Dir was given
	closers  []func() error
	closing  sync.Once
	closeErr error
}

// Start starts every server. Call Close when done.
func Start(opts Options) (*Testbed, error) {
	tb := &Testbed{}
	tb.counters.reset()
	if err := tb.start(opts); err != nil {
		tb.Close() // stops whatever did start
		return nil, err
	}
	return tb, nil
}

func (tb *Testbed) start(opts Options) error {
	ca, err := newAuthority()
	if err != nil {
		return err
	}
	if err := tb.writeCA(opts.Dir, ca); err != nil {
		return err
	}
	dnsH := &dnsHandler{zone: newZone(), counters: &tb.counters}
	for _, start := range []func() error{
		func() error { return tb.startDNS(dnsH, opts.DNSNoUDP) },
		func() error { return tb.startDoT(dnsH, ca.leaf) },
		tb.startHTTP,
		func() error { return tb.startHTTPS(ca.leaf, dnsH) },
		tb.startTCP,
	} {
		if err := start(); err != nil {
			return err
		}
	}
	return nil
}

// writeCA writes the CA certificate to dir/ca.pem, creating dir (or a
// temporary directory when dir is "").
func (tb *Testbed) writeCA(dir string, ca *authority) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "probe-testbed-")
		if err != nil {
			return fmt.Errorf("creating a temporary directory: %w", err)
		}
		dir, tb.tempDir = tmp, tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	// Absolute, so the path means the same to a command run elsewhere.
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("locating %s: %w", dir, err)
	}
	tb.CAFile = filepath.Join(abs, "ca.pem")
	return ca.WritePEM(tb.CAFile)
}

func (tb *Testbed) startDNS(h *dnsHandler, noUDP bool) error {
	s, err := startDNS(h, &tb.counters, noUDP)
	if err != nil {
		return err
	}
	tb.DNSAddr = s.addr
	tb.closers = append(tb.closers, s.close)
	return nil
}

// startDoT serves DNS over TLS with its own handler, which records the
// queries as NetTLS (the connection itself says "tcp").
func (tb *Testbed) startDoT(h *dnsHandler, leaf tls.Certificate) error {
	s, err := startDoT(&dnsHandler{zone: h.zone, counters: h.counters, net: NetTLS}, leaf, &tb.counters)
	if err != nil {
		return err
	}
	tb.DoTAddr = s.addr
	tb.closers = append(tb.closers, s.close)
	return nil
}

func (tb *Testbed) startHTTP() error {
	ln, err := tb.listen(ServerHTTP)
	if err != nil {
		return err
	}
	tb.HTTPAddr = ln.Addr().String()
	tb.serve(newWebServer(&webHandler{server: ServerHTTP, counters: &tb.counters}), ln)
	return nil
}

// startHTTPS serves HTTPS, and DoH at DoHPath answered by h.
func (tb *Testbed) startHTTPS(leaf tls.Certificate, h *dnsHandler) error {
	ln, err := tb.listen(ServerHTTPS)
	if err != nil {
		return err
	}
	tb.HTTPSAddr = ln.Addr().String()
	tb.DoHURL = "https://" + net.JoinHostPort(DNSServerName, port(tb.HTTPSAddr)) + DoHPath
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf}, NextProtos: []string{"http/1.1"}}
	web := &webHandler{server: ServerHTTPS, counters: &tb.counters, doh: &dohHandler{dns: h}}
	srv := newWebServer(web)
	tb.serve(srv, newHandshakingListener(ln, cfg, &tb.counters))
	return nil
}

func (tb *Testbed) startTCP() error {
	ln, err := tb.listen(ServerTCP)
	if err != nil {
		return err
	}
	tb.TCPAddr = ln.Addr().String()
	tb.closers = append(tb.closers, loopback.ServeTCP(ln, echo).Close)
	return nil
}

// echo echoes what it reads until the client closes; a client that sends
// nothing is simply held open (until Close).
func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// listen opens a counting TCP listener on a free loopback port.
func (tb *Testbed) listen(server string) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the %s server: %w", server, err)
	}
	return &countingListener{Listener: ln, server: server, counters: &tb.counters}, nil
}

// serve runs srv on ln in the background; Close stops it.
func (tb *Testbed) serve(srv *http.Server, ln net.Listener) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	tb.closers = append(tb.closers, func() error {
		err := srv.Close()
		<-done
		return err
	})
}

// Close stops every server, closes their connections and removes the
// temporary directory, if Start made one. It is safe to call more than once.
func (tb *Testbed) Close() error {
	tb.closing.Do(func() {
		var errs []error
		for i := len(tb.closers) - 1; i >= 0; i-- {
			errs = append(errs, tb.closers[i]())
		}
		if tb.tempDir != "" {
			errs = append(errs, os.RemoveAll(tb.tempDir))
		}
		tb.closeErr = errors.Join(errs...)
	})
	return tb.closeErr
}

// Vars returns the values of the variables the example files declare:
// dns_server, http_port, https_port, tcp_port and ca_file
// (examples/testbed.hcl), and dot_server and doh_url
// (examples/lockdown-*.hcl).
func (tb *Testbed) Vars() map[string]string {
	return map[string]string{
		"dns_server": tb.DNSAddr,
		"dot_server": tb.DoTAddr,
		"doh_url":    tb.DoHURL,
		"http_port":  port(tb.HTTPAddr),
		"https_port": port(tb.HTTPSAddr),
		"tcp_port":   port(tb.TCPAddr),
		"ca_file":    tb.CAFile,
	}
}

// EnvPrefix is the prefix of the environment variables probe reads HCL
// variable values from.
const EnvPrefix = "PROBE_VAR_"

// Env returns Vars as PROBE_VAR_<name>=<value> entries, sorted by name.
func (tb *Testbed) Env() []string {
	vars := tb.Vars()
	env := make([]string, 0, len(vars))
	for name, value := range vars {
		env = append(env, EnvPrefix+name+"="+value)
	}
	sort.Strings(env)
	return env
}

func port(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}
