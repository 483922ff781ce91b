package tcpphase

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/probe-net/probe/sdk"
)

// failure reports a race that no attempt won. The kind is the overall
// deadline's or cancellation's when that ended the race, else the last
// attempt's; the message names every attempt's cause, and the attempts'
// errors stay in the chain (errors.Is(err, syscall.ECONNREFUSED)).
func failure(ctx context.Context, failures []attempt) error {
	if len(failures) == 0 { // the context ended before the first attempt
		return sdk.Errorf(contextKind(ctx), "connect: %w before the first attempt", ctx.Err())
	}
	last := failures[len(failures)-1]
	kind := kindOf(last.err)
	if ctx.Err() != nil {
		kind = contextKind(ctx)
	}
	causes := make([]error, len(failures))
	for i, f := range failures {
		causes[i] = f.err
	}
	if ctx.Err() != nil {
		causes = append(causes, ctx.Err())
	}
	hidden := sdk.Cause(errors.Join(causes...))
	if len(failures) == 1 {
		return sdk.Errorf(kind, "connect %s: %s%w", last.addr, reason(last.err), hidden)
	}
	parts := make([]string, len(failures))
	for i, f := range failures {
		parts[i] = f.addr.String() + ": " + reason(f.err)
	}
	return sdk.Errorf(kind, "all %d connection attempts failed: %s%w", len(failures), strings.Join(parts, "; "), hidden)
}

// contextKind classifies the end of ctx.
func contextKind(ctx context.Context) sdk.ErrorKind {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return sdk.KindTimeout
	case errors.Is(ctx.Err(), context.Canceled):
		return sdk.KindCanceled
	}
	return sdk.KindInternal
}

// kindOf classifies one attempt's error.
func kindOf(err error) sdk.ErrorKind {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return sdk.KindRefused
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETDOWN):
		return sdk.KindUnreachable
	case sdk.IsTimeout(err):
		return sdk.KindTimeout
	case errors.Is(err, context.Canceled):
		return sdk.KindCanceled
	}
	return sdk.Classify(err)
}

// reason is the short cause of one attempt's failure, without the
// "dial tcp addr:" prefix the address already says.
func reason(err error) string {
	var se *os.SyscallError
	switch {
	case errors.As(err, &se):
		return se.Error() // e.g. "connect: connection refused"
	case sdk.IsTimeout(err):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
