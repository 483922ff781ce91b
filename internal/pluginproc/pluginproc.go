// Package pluginproc holds what the probe host and a plugin process agree on
// outside the RPC protocol: the environment variables the host sets when it
// starts a plugin (read by sdk/server), and the context key under which the
// plugin server hands its logger to sdk.Logger. Neither is part of the
// public SDK: plugin authors never set them, and the host must not import
// the plugin-side server package to learn them.
package pluginproc

import (
	"context"

	"github.com/hashicorp/go-hclog"
)

// EnvLogLevel sets the plugin's log level (trace, debug, info, warn,
// error). The host sets it to its own level.
const EnvLogLevel = "PROBE_PLUGIN_LOG_LEVEL"

// EnvRunDir names the per-run directory holding the plugin's unix socket;
// the host sets it. A plugin whose host died removes its socket from there.
const EnvRunDir = "PROBE_RUN_DIR"

type loggerKey struct{}

// WithLogger returns a context carrying l, for sdk.Logger.
func WithLogger(ctx context.Context, l hclog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger WithLogger put into ctx, if any.
func Logger(ctx context.Context) (hclog.Logger, bool) {
	l, ok := ctx.Value(loggerKey{}).(hclog.Logger)
	return l, ok
}
