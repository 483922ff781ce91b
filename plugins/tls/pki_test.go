//go:build linux

package tlsphase

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

// newCA is a root valid for a day.
func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	return newRoot(t, name, time.Now().Add(24*time.Hour))
}

// newRoot is a self-signed root CA valid until notAfter.
func newRoot(t *testing.T, name string, notAfter time.Time) *testCA {
	t.Helper()
	key := newKey(t)
	return signCA(t, name, key, notAfter, nil)
}

// intermediate is a CA named name with key, signed by ca and valid until
// notAfter. Two intermediates with the same name and key signed by
// different CAs are a cross-signed pair.
func (ca *testCA) intermediate(t *testing.T, name string, key *ecdsa.PrivateKey, notAfter time.Time) *testCA {
	t.Helper()
	return signCA(t, name, key, notAfter, ca)
}

// signCA makes a CA certificate for key, signed by parent (self-signed
// when parent is nil).
func signCA(t *testing.T, name string, key *ecdsa.PrivateKey, notAfter time.Time, parent *testCA) *testCA {
	t.Helper()
	notBefore := time.Now().Add(-time.Hour)
	if notAfter.Before(notBefore) { // an already lapsed CA
		notBefore = notAfter.Add(-24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatalf("creating CA %s: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing CA %s: %v", name, err)
	}
	return &testCA{cert: cert, key: key, der: der}
}

// leafSpec describes a leaf certificate; zero times mean "valid now".
type leafSpec struct {
	cn        string
	dnsNames  []string
	ips       []string
	notBefore time.Time
	notAfter  time.Time
	client    bool // for client authentication instead of server
}

// issue signs a leaf certificate and returns it with its key.
func (ca *testCA) issue(t *testing.T, spec leafSpec) tls.Certificate {
	t.Helper()
	if spec.notBefore.IsZero() {
		spec.notBefore = time.Now().Add(-time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = time.Now().Add(10 * 24 * time.Hour)
	}
	usage := x509.ExtKeyUsageServerAuth
	if spec.client {
		usage = x509.ExtKeyUsageClientAuth
	}
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: spec.cn},
		DNSNames:     spec.dnsNames,
		NotBefore:    spec.notBefore,
		NotAfter:     spec.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, ip := range spec.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("issuing %s: %v", spec.cn, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing %s: %v", spec.cn, err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// pool is a cert pool holding the CA.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// writeFile writes the CA certificate as PEM and returns the path.
func (ca *testCA) writeFile(t *testing.T) string {
	t.Helper()
	return writePEM(t, "ca.pem", "CERTIFICATE", ca.der)
}

// writeKeyPair writes a certificate and its key as PEM files.
func writeKeyPair(t *testing.T, c tls.Certificate) (certPath, keyPath string) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatalf("marshaling key: %v", err)
	}
	return writePEM(t, "cert.pem", "CERTIFICATE", c.Certificate[0]), writePEM(t, "key.pem", "PRIVATE KEY", keyDER)
}

func writePEM(t *testing.T, name, blockType string, der []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*-"+name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pem.Encode(f, &pem.Block{Type: blockType, Bytes: der}); err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(f.Name())
}

// writePEMs writes certificates to one PEM file and returns the path.
func writePEMs(t *testing.T, ders ...[]byte) string {
	t.Helper()
	var b []byte
	for _, der := range ders {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	path := filepath.Join(t.TempDir(), "cas.pem")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	return key
}

func serial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
