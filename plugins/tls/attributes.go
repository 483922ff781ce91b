package tlsphase

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
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

// addPeer reports the server's leaf certificate as of now; leaf may be nil.
func addPeer(attrs sdk.Attributes, leaf *x509.Certificate, now time.Time) {
	if leaf == nil {
		return
	}
	attrs[sdk.AttrTLSPeerSubject] = leaf.Subject.String()
	attrs[sdk.AttrTLSPeerIssuer] = leaf.Issuer.String()
	attrs[sdk.AttrTLSPeerSANs] = sans(leaf)
	peerExpiry.add(attrs, leaf.NotAfter, now)
}

// expiryKeys are the attribute keys of one certificate's expiry.
type expiryKeys struct{ notAfter, daysLeft, expired string }

var (
	peerExpiry  = expiryKeys{sdk.AttrTLSPeerNotAfter, sdk.AttrTLSPeerDaysLeft, sdk.AttrTLSPeerExpired}
	chainExpiry = expiryKeys{sdk.AttrTLSChainNotAfter, sdk.AttrTLSChainDaysLeft, sdk.AttrTLSChainExpired}
)

// add reports notAfter as of now: RFC 3339 in UTC, the days left (see
// daysLeft) and whether it has passed.
func (k expiryKeys) add(attrs sdk.Attributes, notAfter, now time.Time) {
	attrs[k.notAfter] = notAfter.UTC().Format(time.RFC3339)
	attrs[k.daysLeft] = daysLeft(notAfter, now)
	attrs[k.expired] = now.After(notAfter)
}

// addChain reports the certificate that expires first in the chain the
// handshake relied on, as blackbox_exporter's probe_ssl_earliest_cert_expiry
// does: sdk.AttrTLSChainSubject names it, the other tls.chain.* keys say
// when. The chain is the verified one; when verification built several
// (cross-signed intermediates), the one that stays valid longest, since a
// client needs only one of them (blackbox_exporter's
// probe_ssl_last_chain_expiry_timestamp_seconds). Without verification
// (insecure_skip_verify) it is the certificates the server sent.
func addChain(attrs sdk.Attributes, st tls.ConnectionState, now time.Time) {
	var first *x509.Certificate
	for _, chain := range st.VerifiedChains {
		if c := earliest(chain); c != nil && (first == nil || c.NotAfter.After(first.NotAfter)) {
			first = c
		}
	}
	if len(st.VerifiedChains) == 0 {
		first = earliest(st.PeerCertificates)
	}
	if first == nil {
		return
	}
	attrs[sdk.AttrTLSChainSubject] = first.Subject.String()
	chainExpiry.add(attrs, first.NotAfter, now)
}

// earliest is the certificate of certs that expires first, or nil.
func earliest(certs []*x509.Certificate) *x509.Certificate {
	var first *x509.Certificate
	for _, c := range certs {
		if first == nil || c.NotAfter.Before(first.NotAfter) {
			first = c
		}
	}
	return first
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

// daysLeft is the number of whole days from now until notAfter, rounded
// toward zero: 9 with 9.9 days to go, 0 on the last day and also during the
// first day after expiry (the expired attribute tells them apart), -1 from
// 24 hours after expiry, -2 from 48 hours. A certificate that expired 24
// hours ago is one day past, not two.
func daysLeft(notAfter, now time.Time) int64 {
	return int64(notAfter.Sub(now) / (24 * time.Hour))
}

// unverifiedLeaf is the leaf certificate of a failed verification, or nil.
func unverifiedLeaf(err error) *x509.Certificate {
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		return ve.UnverifiedCertificates[0]
	}
	return nil
}
