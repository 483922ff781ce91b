//go:build linux

package server

import (
	"context"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/sdk"
)

// withLogger puts the plugin's logger into every Run context.
type withLogger struct {
	sdk.Phase
	logger hclog.Logger
}

func (w withLogger) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	return w.Phase.Run(sdk.WithLogger(ctx, w.logger), req)
}
