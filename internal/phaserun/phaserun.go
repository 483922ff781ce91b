// Package phaserun calls an sdk.Phase the way every host of a phase does:
// the plugin server inside a plugin process and the in-process runner share
// it, so a phase behaves the same whether it runs in its own process or in
// the caller's.
package phaserun

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/probe-net/probe/sdk"
)

// Run calls phase.Run. A panic becomes an sdk.KindPlugin error (logged with
// its stack through the context's logger); a nil result becomes an empty
// one; a zero Result.Duration becomes the wall time of the call. res is
// never nil.
func Run(ctx context.Context, phase sdk.Phase, in *sdk.Request) (res *sdk.Result, err error) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			sdk.Logger(ctx).Error("phase panicked", "panic", r, "stack", string(debug.Stack()))
			res, err = nil, sdk.Errorf(sdk.KindPlugin, "phase panicked: %v", r)
		}
		if res == nil {
			res = &sdk.Result{}
		}
		if res.Duration == 0 {
			res.Duration = time.Since(start)
		}
	}()
	return phase.Run(ctx, in)
}
