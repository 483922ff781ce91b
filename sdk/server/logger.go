//go:build linux

package server

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/internal/pluginproc"
	"github.com/probe-net/probe/sdk"
)

// withLogger puts the plugin's logger into every Run context and logs each
// run at debug level; the host shows it with `probe -v`.
type withLogger struct {
	sdk.Phase
	logger hclog.Logger
}

func (w withLogger) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	start := time.Now()
	res, err := w.Phase.Run(pluginproc.WithLogger(ctx, w.logger), req)
	if w.logger.IsDebug() {
		args := []any{"target", req.Target.Name, "host", req.Target.Host, "wall", time.Since(start).String()}
		if res != nil {
			args = append(args, "duration", res.Duration.String(), "hands_on_conn", res.Conn != nil)
		}
		if err != nil {
			w.logger.Debug("phase failed", append(args, "kind", sdk.Classify(err), "error", err)...)
		} else {
			w.logger.Debug("phase done", args...)
		}
	}
	return res, err
}
