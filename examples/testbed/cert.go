package testbed

import (
	"crypto/tls"
	"time"

	"github.com/probe-net/probe/internal/loopback"
)

// certValidity is how long the throwaway CA and leaf stay valid.
const certValidity = 24 * time.Hour

// leafNames are the DNS names the certificate of the HTTPS server (which
// also serves DoH) and of the DoT server covers.
var leafNames = []string{"secure.probe.test", "www.probe.test", "xn--bcher-kva.probe.test", DNSServerName, "localhost"}

// authority is a throwaway certificate authority and the leaf it signed.
type authority struct {
	*loopback.CA
	leaf tls.Certificate
}

// newAuthority creates a CA and a server leaf for leafNames, 127.0.0.1 and
// ::1, all ECDSA P-256.
func newAuthority() (*authority, error) {
	notBefore := time.Now().Add(-5 * time.Minute) // tolerate small clock skew
	ca, err := loopback.NewCA("probe testbed CA", notBefore, notBefore.Add(certValidity))
	if err != nil {
		return nil, err
	}
	leaf, err := ca.Leaf(leafNames, notBefore, notBefore.Add(certValidity))
	if err != nil {
		return nil, err
	}
	return &authority{CA: ca, leaf: leaf}, nil
}
