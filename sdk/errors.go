package sdk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// ErrorKind classifies why a phase failed. Kinds are stable strings; output
// and exit codes rely on them.
type ErrorKind string

// Error kinds. Plugins may use others; these are the ones probe knows.
const (
	KindTimeout     ErrorKind = "timeout"     // deadline passed
	KindCanceled    ErrorKind = "canceled"    // the run was interrupted
	KindRefused     ErrorKind = "refused"     // connection refused (RST)
	KindUnreachable ErrorKind = "unreachable" // no route, network down
	KindNXDomain    ErrorKind = "nxdomain"    // the name does not exist
	KindServFail    ErrorKind = "servfail"    // the resolver failed
	KindNoAddress   ErrorKind = "no_address"  // the name has no address of the wanted family
	KindDNS         ErrorKind = "dns"         // any other DNS failure
	KindCertificate ErrorKind = "certificate" // peer certificate rejected
	KindTLS         ErrorKind = "tls"         // any other TLS failure
	KindHTTPStatus  ErrorKind = "http_status" // unexpected HTTP status
	KindProtocol    ErrorKind = "protocol"    // the peer spoke something unexpected
	KindReset       ErrorKind = "reset"       // connection reset or closed early
	KindPlugin      ErrorKind = "plugin"      // the plugin crashed, hung or broke protocol
	KindInput       ErrorKind = "input"       // the phase lacked what it needs (no conn, no address)
	KindInternal    ErrorKind = "internal"    // anything else
)

// Error is a classified phase failure.
type Error struct {
	Kind ErrorKind
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return string(e.Kind)
	}
	return e.Err.Error()
}
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind; %w is honoured.
func Errorf(kind ErrorKind, format string, args ...any) error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// Cause returns an error with no text of its own that unwraps to err. End
// a message that already says why in its own words with %w and Cause(err),
// and err stays in the chain for errors.Is and errors.As (the caller can
// test for syscall.ECONNREFUSED or context.DeadlineExceeded) without its
// text (Go's internals, "dial tcp 10.0.0.1:443: connect: ...") repeated:
//
//	sdk.Errorf(sdk.KindRefused, "connect %s: refused%w", addr, sdk.Cause(err))
//
// err must not be nil.
func Cause(err error) error { return cause{err} }

type cause struct{ err error }

func (c cause) Error() string { return "" }
func (c cause) Unwrap() error { return c.err }

// Classify returns the kind of err: the Kind of the first *Error in its
// chain, else a kind inferred from the causes a phase commonly meets:
//
//   - KindTimeout: context.DeadlineExceeded, os.ErrDeadlineExceeded, a
//     net.Error whose Timeout() is true (IsTimeout);
//   - KindCanceled: context.Canceled;
//   - KindCertificate: x509 verification errors (unknown authority, invalid
//     or expired certificate, name mismatch, tls.CertificateVerificationError);
//   - KindTLS: a TLS alert received or sent ("remote error: tls: ...",
//     tls.AlertError), a peer that does not speak TLS (tls.RecordHeaderError),
//     a rejected ECH config;
//   - KindRefused: ECONNREFUSED (the peer answered the SYN with a RST);
//   - KindUnreachable: ENETUNREACH, EHOSTUNREACH, ENETDOWN;
//   - KindReset: ECONNRESET, ECONNABORTED, EPIPE, and io.EOF or
//     io.ErrUnexpectedEOF (the peer closed before the phase was done);
//   - KindNXDomain / KindDNS: a *net.DNSError, not found / otherwise;
//   - KindInternal: anything else.
//
// The first that matches wins, in this order, so a handshake cut short by
// the deadline is a timeout, not a reset.
func Classify(err error) ErrorKind {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Kind
	case IsTimeout(err):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case isCertificateError(err):
		return KindCertificate
	case isTLSError(err):
		return KindTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETDOWN):
		return KindUnreachable
	case isReset(err):
		return KindReset
	}
	return classifyDNS(err)
}

// IsTimeout reports whether err is a deadline passing: a context deadline,
// an I/O deadline or a network timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

func isCertificateError(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		roots    x509.SystemRootsError
		critical x509.UnhandledCriticalExtension
		verify   *tls.CertificateVerificationError
	)
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname) ||
		errors.As(err, &roots) || errors.As(err, &critical) || errors.As(err, &verify)
}

// isTLSError reports a TLS protocol failure. crypto/tls reports an alert
// from the peer as a *net.OpError with Op "remote error" (the alert type
// itself is unexported) and one it sent as Op "local error".
func isTLSError(err error) bool {
	var (
		alert  tls.AlertError
		record tls.RecordHeaderError
		ech    *tls.ECHRejectionError
		op     *net.OpError
	)
	return errors.As(err, &alert) || errors.As(err, &record) || errors.As(err, &ech) ||
		(errors.As(err, &op) && (op.Op == "remote error" || op.Op == "local error"))
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// classifyDNS classifies the errors of Go's own resolver, else KindInternal.
func classifyDNS(err error) ErrorKind {
	var dnsErr *net.DNSError
	switch {
	case !errors.As(err, &dnsErr):
		return KindInternal
	case dnsErr.IsNotFound:
		return KindNXDomain
	}
	return KindDNS
}

// AttributeError rejects one config attribute. Attribute is the attribute's
// name, optionally followed by an index or key path ("servers[1]").
type AttributeError struct {
	Attribute string
	Err       error
}

func (e *AttributeError) Error() string { return e.Attribute + ": " + e.Err.Error() }
func (e *AttributeError) Unwrap() error { return e.Err }

// AttributeErrorf returns an *AttributeError.
func AttributeErrorf(attribute, format string, args ...any) error {
	return &AttributeError{Attribute: attribute, Err: fmt.Errorf(format, args...)}
}
