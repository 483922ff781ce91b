package preconnect

import (
	"context"
	"os"

	"github.com/probe-net/probe/sdk"
)

// Kind classifies a failure: the CLI's error kinds (package sdk), so a
// program compares them without importing sdk.
type Kind = sdk.ErrorKind

// The kinds a failure can have, the ones the CLI reports. See sdk.Classify
// for what each covers.
const (
	KindTimeout     = sdk.KindTimeout     // a deadline passed: Target.Timeout, the context's, a phase's own
	KindCanceled    = sdk.KindCanceled    // the context was cancelled, or the Pool closed
	KindRefused     = sdk.KindRefused     // connection refused (the peer answered the SYN with a RST)
	KindUnreachable = sdk.KindUnreachable // no route, network down
	KindNXDomain    = sdk.KindNXDomain    // the name does not exist
	KindServFail    = sdk.KindServFail    // the resolver failed
	KindNoAddress   = sdk.KindNoAddress   // the name has no address of the wanted family
	KindDNS         = sdk.KindDNS         // any other DNS failure
	KindCertificate = sdk.KindCertificate // the peer's certificate was rejected
	KindTLS         = sdk.KindTLS         // any other TLS failure
	KindHTTPStatus  = sdk.KindHTTPStatus  // an unexpected HTTP status
	KindProtocol    = sdk.KindProtocol    // the peer spoke something unexpected
	KindReset       = sdk.KindReset       // connection reset or closed early
	KindPlugin      = sdk.KindPlugin      // a phase crashed or broke its contract
	KindInput       = sdk.KindInput       // a bad Target or Config, or a phase lacked what it needs
	KindInternal    = sdk.KindInternal    // anything else
)

// Error is why a probe or a connection failed.
//
// Phase is the phase that failed ("dns", "tcp", "tls", "http"); it is
// empty when no phase ran: a bad Target (KindInput), a context already
// done or a closed Pool (KindCanceled, KindTimeout). Kind is one of the
// Kind* constants. Message says what happened, without the kind (which
// Error prints). Err is the cause when one is known: the error the phase
// returned, with Go's own errors in its chain.
//
// Match an *Error the usual Go ways:
//
//   - errors.As(err, &e) with e an *Error, then e.Kind;
//   - errors.Is(err, syscall.ECONNREFUSED) and similar through Err (on
//     Unix; Windows reports its own errno values);
//   - for KindTimeout, errors.Is(err, context.DeadlineExceeded) and
//     errors.Is(err, os.ErrDeadlineExceeded) both hold, whichever deadline
//     ran out, and Timeout reports true, as net.Error's does, so an
//     *url.Error from an http.Client says Timeout() too;
//   - for KindCanceled, errors.Is(err, context.Canceled) holds.
type Error struct {
	Phase   string
	Kind    Kind
	Message string
	// Err is the underlying cause, or nil; its text is already in
	// Message.
	Err error
}

// Error returns "preconnect: phase: kind: message". The kind is left out
// when it is the phase's own name (a dns failure in the dns phase), and
// the phase when there is none: "preconnect: canceled: target ...".
func (e *Error) Error() string {
	switch {
	case e.Phase == "":
		return "preconnect: " + string(e.Kind) + ": " + e.Message
	case string(e.Kind) == e.Phase:
		return "preconnect: " + e.Phase + ": " + e.Message
	}
	return "preconnect: " + e.Phase + ": " + string(e.Kind) + ": " + e.Message
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is what the kind stands for:
// context.DeadlineExceeded or os.ErrDeadlineExceeded for KindTimeout,
// context.Canceled for KindCanceled. errors.Is calls it.
func (e *Error) Is(target error) bool {
	switch e.Kind {
	case KindTimeout:
		return target == context.DeadlineExceeded || target == os.ErrDeadlineExceeded
	case KindCanceled:
		return target == context.Canceled
	}
	return false
}

// Timeout reports whether Kind is KindTimeout (the net.Error method).
func (e *Error) Timeout() bool { return e.Kind == KindTimeout }
