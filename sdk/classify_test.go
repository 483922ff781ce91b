package sdk

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestClassifyRealErrors classifies errors as the standard library returns
// them from real exchanges with servers on 127.0.0.1, not hand-built values.
func TestClassifyRealErrors(t *testing.T) {
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want ErrorKind
	}{
		{"refused", refusedDial, KindRefused},
		{"peer closed", func(t *testing.T) error { return readAfter(t, closeGracefully) }, KindReset},
		{"peer reset", func(t *testing.T) error { return readAfter(t, closeWithReset) }, KindReset},
		{"read deadline", readPastDeadline, KindTimeout},
		{"tls alert from the server", tlsVersionMismatch, KindTLS},
		{"peer does not speak tls", tlsToPlainServer, KindTLS},
		{"untrusted certificate", tlsUntrusted, KindCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			if got := Classify(err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}

func refusedDial(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
		t.Skip("something else took the closed port")
	}
	return err
}

// serve accepts one connection on 127.0.0.1 and hands it to handle.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c, err := ln.Accept(); err == nil {
			handle(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func closeGracefully(c net.Conn) { c.Close() }

func closeWithReset(c net.Conn) {
	_ = c.(*net.TCPConn).SetLinger(0) // close sends RST
	c.Close()
}

// readAfter reads from a connection whose server handles it once the
// client's first byte arrived, so the dial itself always succeeds.
func readAfter(t *testing.T, handle func(net.Conn)) error {
	c := dial(t, serve(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Read(make([]byte, 1))
		handle(c)
	}))
	if _, err := c.Write([]byte{'x'}); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 1))
	if err == nil {
		t.Fatal("read succeeded")
	}
	return err
}

func readPastDeadline(t *testing.T) error {
	hold := make(chan struct{})
	c := dial(t, serve(t, func(c net.Conn) { <-hold; c.Close() }))
	defer close(hold)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return err
}

func handshake(t *testing.T, addr string, cfg *tls.Config) error {
	c := tls.Client(dial(t, addr), cfg)
	err := c.Handshake()
	if err == nil {
		t.Fatal("handshake succeeded")
	}
	return err
}

func tlsVersionMismatch(t *testing.T) error {
	srv := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, MaxVersion: tls.VersionTLS12}
	addr := serve(t, func(c net.Conn) {
		_ = tls.Server(c, srv).Handshake()
		c.Close()
	})
	return handshake(t, addr, &tls.Config{ServerName: "www.probe.test", MinVersion: tls.VersionTLS13})
}

func tlsToPlainServer(t *testing.T) error {
	addr := serve(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
		c.Close()
	})
	return handshake(t, addr, &tls.Config{ServerName: "www.probe.test"})
}

func tlsUntrusted(t *testing.T) error {
	srv := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	addr := serve(t, func(c net.Conn) {
		_ = tls.Server(c, srv).Handshake()
		c.Close()
	})
	return handshake(t, addr, &tls.Config{ServerName: "www.probe.test", RootCAs: x509.NewCertPool()})
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "www.probe.test"},
		DNSNames:     []string{"www.probe.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Cause keeps an error in the chain without its text: the message stays
// the phase's own words, and errors.Is still finds what Go returned.
func TestCauseAddsNoText(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, dialErr := net.Dial("tcp", addr)
	if dialErr == nil {
		t.Fatal("dialled a closed port")
	}
	err = Errorf(KindRefused, "connect %s: refused%w", addr, Cause(dialErr))
	if err.Error() != "connect "+addr+": refused" {
		t.Errorf("text %q", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) || Classify(err) != KindRefused {
		t.Errorf("%v: errors.Is ECONNREFUSED %v, kind %s", err, errors.Is(err, syscall.ECONNREFUSED), Classify(err))
	}
}
