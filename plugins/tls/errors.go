package tlsphase

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/probe-net/probe/sdk"
)

// handshakeError classifies a failed handshake. Certificate problems are
// sdk.KindCertificate and the message says which problem it was. err stays
// in the chain, without its text, for errors.Is and errors.As.
func handshakeError(ctx context.Context, err error) error {
	e := describeHandshake(ctx, err)
	return &sdk.Error{Kind: sdk.Classify(e), Err: fmt.Errorf("%w%w", e, sdk.Cause(err))}
}

func describeHandshake(ctx context.Context, err error) error {
	if cert := certificateError(err); cert != nil {
		return cert
	}
	switch {
	case sdk.IsTimeout(err) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return sdk.Errorf(sdk.KindTimeout, "handshake timed out")
	case errors.Is(err, context.Canceled):
		return sdk.Errorf(sdk.KindCanceled, "handshake canceled")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return sdk.Errorf(sdk.KindTLS, "handshake failed: the server closed the connection")
	}
	return sdk.Errorf(sdk.KindTLS, "handshake failed: %s", cause(err))
}

// certificateError returns a KindCertificate error when verification
// rejected the server's certificate, else nil.
func certificateError(err error) error {
	var (
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return validityError(invalid.Cert, time.Now())
	case errors.As(err, &unknown):
		return unknownAuthorityError(unknown)
	case errors.As(err, &hostname):
		return nameMismatchError(hostname)
	case errors.As(err, &invalid):
		return sdk.Errorf(sdk.KindCertificate, "certificate rejected: %s", trimX509(invalid.Error()))
	case errors.As(err, &verify):
		return sdk.Errorf(sdk.KindCertificate, "certificate rejected: %s", trimX509(verify.Err.Error()))
	}
	return nil
}

// validityError tells an expired certificate from one not valid yet.
func validityError(c *x509.Certificate, now time.Time) error {
	if c == nil {
		return sdk.Errorf(sdk.KindCertificate, "certificate expired or not yet valid")
	}
	if now.Before(c.NotBefore) {
		return sdk.Errorf(sdk.KindCertificate, "certificate not yet valid: %s is valid from %s",
			subject(c), c.NotBefore.UTC().Format(time.RFC3339))
	}
	return sdk.Errorf(sdk.KindCertificate, "certificate expired: %s expired at %s",
		subject(c), c.NotAfter.UTC().Format(time.RFC3339))
}

func unknownAuthorityError(e x509.UnknownAuthorityError) error {
	if e.Cert == nil {
		return sdk.Errorf(sdk.KindCertificate, "certificate signed by unknown authority")
	}
	return sdk.Errorf(sdk.KindCertificate, "certificate signed by unknown authority: %s is issued by %s, which is not trusted",
		subject(e.Cert), e.Cert.Issuer)
}

func nameMismatchError(e x509.HostnameError) error {
	names := sans(e.Certificate)
	if len(names) == 0 {
		return sdk.Errorf(sdk.KindCertificate, "certificate name mismatch: %s is not valid for %s: it has no subject alternative names",
			subject(e.Certificate), e.Host)
	}
	return sdk.Errorf(sdk.KindCertificate, "certificate name mismatch: %s is valid for %s, not %s",
		subject(e.Certificate), strings.Join(names, ", "), e.Host)
}

func subject(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return `"` + s + `"`
	}
	return "the certificate (empty subject)"
}

// cause is the error without the net.OpError wrapping that names the
// connection (already known to the reader).
func cause(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		if oe.Op == "remote error" {
			return "server sent alert: " + strings.TrimPrefix(oe.Err.Error(), "tls: ")
		}
		return oe.Err.Error() // e.g. "read: connection reset by peer"
	}
	return err.Error()
}

func trimX509(s string) string { return strings.TrimPrefix(s, "x509: ") }
