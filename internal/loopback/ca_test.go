package loopback

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newCA(t *testing.T) *CA {
	t.Helper()
	now := time.Now()
	ca, err := NewCA("loopback test CA", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// handshake serves leaf over TLS on 127.0.0.1 and has a client that
// trusts only ca's PEM verify it for serverName. It returns the client's
// handshake error.
func handshake(t *testing.T, ca *CA, leaf tls.Certificate, serverName string) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := ServeTCP(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{leaf}}), func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_ = c.(*tls.Conn).Handshake()
	})
	defer srv.Close()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca.PEM) {
		t.Fatal("the CA's PEM holds no certificate")
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{RootCAs: pool, ServerName: serverName}}
	c, err := d.Dial("tcp", srv.Addr().String())
	if err == nil {
		c.Close()
	}
	return err
}

func TestLeafVerifiesForItsNamesAndLoopbackAddresses(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	leaf, err := ca.Leaf([]string{"www.loopback.test", "alt.loopback.test"}, now.Add(-time.Minute), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"www.loopback.test", "alt.loopback.test", "127.0.0.1", "::1"} {
		if err := handshake(t, ca, leaf, name); err != nil {
			t.Errorf("verifying for %s: %v", name, err)
		}
	}
	var hostErr x509.HostnameError
	if err := handshake(t, ca, leaf, "other.loopback.test"); !errors.As(err, &hostErr) {
		t.Errorf("verifying for a name the leaf lacks: %v, want a hostname error", err)
	}
}

func TestLeafOutsideItsWindowIsExpired(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	leaf, err := ca.Leaf([]string{"expired.loopback.test"}, now.Add(-72*time.Hour), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var invalid x509.CertificateInvalidError
	if err := handshake(t, ca, leaf, "expired.loopback.test"); !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("handshake: %v, want an expired certificate", err)
	}
}

func TestLeafNeedsAName(t *testing.T) {
	if _, err := newCA(t).Leaf(nil, time.Now(), time.Now().Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("Leaf(nil) = %v, want an error about names", err)
	}
}

func TestWritePEMWritesTheCertificate(t *testing.T) {
	ca := newCA(t)
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := ca.WritePEM(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != string(ca.PEM) {
		t.Fatalf("read %q, %v; want the CA's PEM", b, err)
	}
	if err := ca.WritePEM(filepath.Join(t.TempDir(), "missing", "ca.pem")); err == nil {
		t.Error("writing into a missing directory did not fail")
	}
}
