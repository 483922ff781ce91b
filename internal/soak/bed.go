//go:build linux

package soak

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/probe-net/probe/internal/loopback"
)

// Servers of a Bed, by the name Bed.Addr and Bed.Accepted take.
const (
	ServerHTTP       = "http"       // healthy HTTP: 200 to everything
	ServerHTTPS      = "https"      // healthy HTTPS, certificate for www.soak.test and 127.0.0.1
	ServerTCP        = "tcp"        // accepts and closes: a connect succeeds
	ServerSlow       = "slow"       // a proxy to ServerHTTP holding every chunk for SlowDelay
	ServerSilent     = "silent"     // accepts and never answers
	ServerReset      = "reset"      // resets after the client's first bytes
	ServerBigHeaders = "bigheaders" // answers with BigHeaderBytes of headers
	ServerExpired    = "expired"    // HTTPS, certificate for expired.soak.test that expired a day ago
	ServerRefused    = "refused"    // bound, not listening: connections are refused
)

// SlowDelay is how long the slow proxy holds each chunk it relays.
const SlowDelay = 20 * time.Millisecond

// Bed is the set of loopback servers a soak probes.
type Bed struct {
	DNSAddr string // "127.0.0.1:PORT", UDP
	CAFile  string // PEM of the CA that signed the HTTPS and expired certificates

	dir     string
	dns     *dnsServer
	tcp     map[string]*loopback.TCPServer
	web     map[string]*webServer
	refused *refusingPort
	closing sync.Once
	err     error
}

// StartBed starts every server on 127.0.0.1 and writes the CA to a new
// temporary directory; Close stops them and removes it.
func StartBed() (*Bed, error) {
	b := &Bed{tcp: map[string]*loopback.TCPServer{}, web: map[string]*webServer{}}
	if err := b.start(); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bed) start() error {
	dir, err := os.MkdirTemp("", "probe-soak-")
	if err != nil {
		return fmt.Errorf("creating the bed's directory: %w", err)
	}
	b.dir, b.CAFile = dir, filepath.Join(dir, "ca.pem")
	now := time.Now()
	ca, err := loopback.NewCA("probe soak CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	if err := ca.WritePEM(b.CAFile); err != nil {
		return err
	}
	if b.dns, err = startDNS(); err != nil {
		return err
	}
	b.DNSAddr = b.dns.addr
	if b.refused, err = bindRefusing(); err != nil {
		return err
	}
	if err := b.startWeb(ca); err != nil {
		return err
	}
	return b.startTCP()
}

func (b *Bed) startWeb(ca *loopback.CA) error {
	now := time.Now()
	good, err := ca.Leaf([]string{Host(NameOK)}, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return err
	}
	expired, err := ca.Leaf([]string{Host(NameExpired)}, now.Add(-72*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	for name, cert := range map[string]*tls.Certificate{ServerHTTP: nil, ServerHTTPS: &good, ServerExpired: &expired} {
		w, err := startWeb(cert)
		if err != nil {
			return fmt.Errorf("starting the %s server: %w", name, err)
		}
		b.web[name] = w
	}
	return nil
}

func (b *Bed) startTCP() error {
	handlers := map[string]func(net.Conn){
		ServerTCP:        func(net.Conn) {},
		ServerSlow:       delayingProxy(b.web[ServerHTTP].addr(), SlowDelay),
		ServerSilent:     silent,
		ServerReset:      resetAfterRead,
		ServerBigHeaders: bigHeaders,
	}
	for name, h := range handlers {
		s, err := startTCP(h)
		if err != nil {
			return fmt.Errorf("starting the %s server: %w", name, err)
		}
		b.tcp[name] = s
	}
	return nil
}

// Addr is the "127.0.0.1:PORT" of the named server ("" if unknown).
func (b *Bed) Addr(server string) string {
	switch {
	case server == ServerRefused && b.refused != nil:
		return b.refused.addr()
	case b.web[server] != nil:
		return b.web[server].addr()
	case b.tcp[server] != nil:
		return b.tcp[server].Addr().String()
	}
	return ""
}

// Accepted is how many connections the named server has accepted (0 for
// ServerRefused, which accepts none).
func (b *Bed) Accepted(server string) int64 {
	switch {
	case b.web[server] != nil:
		return b.web[server].accepted.Load()
	case b.tcp[server] != nil:
		return b.tcp[server].Accepted()
	}
	return 0
}

// DNSQueries is how many queries the DNS server has received.
func (b *Bed) DNSQueries() int64 {
	if b.dns == nil {
		return 0
	}
	return b.dns.handler.queries.Load()
}

// Close stops every server (each within holdLimit) and removes the
// directory. It is safe to call more than once.
func (b *Bed) Close() error {
	b.closing.Do(func() {
		var errs []error
		for _, s := range b.tcp {
			errs = append(errs, s.Close())
		}
		for _, w := range b.web {
			errs = append(errs, w.close())
		}
		if b.refused != nil {
			errs = append(errs, b.refused.close())
		}
		if b.dns != nil {
			errs = append(errs, b.dns.close())
		}
		if b.dir != "" {
			errs = append(errs, os.RemoveAll(b.dir))
		}
		b.err = errors.Join(errs...)
	})
	return b.err
}
