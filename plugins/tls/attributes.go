package tlsphase

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"time"

	"github.com/probe-net/probe/sdk"
)

// addSession reports what the handshake negotiated.
func addSession(attrs sdk.Attributes, st tls.ConnectionState) {
	attrs[sdk.AttrTLSVersion] = tls.VersionName(st.Version)
	attrs[sdk.AttrTLSCipher] = tls.CipherSuiteName(st.CipherSuite)
	attrs[sdk.AttrTLSResumed] = st.DidResume
	if st.CurveID != 0 { // no key exchange group (e.g. RSA key exchange)
		attrs[sdk.AttrTLSCurve] = st.CurveID.String()
	}
	if st.NegotiatedProtocol != "" {
		attrs[sdk.AttrTLSALPN] = st.NegotiatedProtocol
	}
}

// addPeer reports the server's leaf certificate; leaf may be nil.
func addPeer(attrs sdk.Attributes, leaf *x509.Certificate) {
	if leaf == nil {
		return
	}
	attrs[sdk.AttrTLSPeerSubject] = leaf.Subject.String()
	attrs[sdk.AttrTLSPeerIssuer] = leaf.Issuer.String()
	attrs[sdk.AttrTLSPeerSANs] = sans(leaf)
	attrs[sdk.AttrTLSPeerNotAfter] = leaf.NotAfter.UTC().Format(time.RFC3339)
	attrs[sdk.AttrTLSPeerDaysLeft] = daysLeft(leaf.NotAfter, time.Now())
}

// sans lists the certificate's subject alternative names: DNS names, IP
// addresses, e-mail addresses and URIs, in that order.
func sans(c *x509.Certificate) []string {
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}

// daysLeft is the number of whole days until notAfter, rounded down: 0 on
// the last day, negative once expired.
func daysLeft(notAfter, now time.Time) int64 {
	return int64(math.Floor(notAfter.Sub(now).Hours() / 24))
}

// unverifiedLeaf is the leaf certificate of a failed verification, or nil.
func unverifiedLeaf(err error) *x509.Certificate {
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		return ve.UnverifiedCertificates[0]
	}
	return nil
}
