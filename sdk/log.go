package sdk

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/internal/pluginproc"
)

// Logger returns the plugin's logger. Its output reaches the probe host,
// which re-emits it at the original level (see `probe -v`). Never write to
// stdout in a plugin: stdout carries the go-plugin handshake. Outside a
// plugin process (a phase called directly in a test) it discards everything.
func Logger(ctx context.Context) hclog.Logger {
	if l, ok := pluginproc.Logger(ctx); ok {
		return l
	}
	return hclog.NewNullLogger()
}
