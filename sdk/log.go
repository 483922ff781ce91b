package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"
)

type loggerKey struct{}

// WithLogger returns a context carrying l. The plugin server sets it for
// every call; tests may set their own.
func WithLogger(ctx context.Context, l hclog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the plugin's logger. Its output reaches the probe host,
// which re-emits it at the original level (see `probe -v`). Never write to
// stdout in a plugin: stdout carries the go-plugin handshake.
func Logger(ctx context.Context) hclog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(hclog.Logger); ok {
		return l
	}
	return hclog.NewNullLogger()
}
