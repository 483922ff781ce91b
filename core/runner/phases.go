package runner

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/probe-net/probe/sdk"
)

// Call is the input of one phase run, as the runner sees it.
type Call struct {
	Target sdk.Target
	// Addresses produced by the resolve phase, or the target's IP literal.
	Addresses []netip.Addr
	// Conn is the connection the previous phase produced, or nil. The
	// runner keeps its handle; a Phases implementation must not close it.
	Conn net.Conn
	// Attributes reported by the probe's earlier phases: read-only, and
	// valid only until Run returns (an implementation that keeps them
	// copies them). A Phases implementation hands a phase those its
	// Description.Reads names.
	Attributes sdk.Attributes
	// Timeout is what is left of the probe's budget; 0 means none.
	Timeout time.Duration
}

// Reply is the output of one phase run.
type Reply struct {
	// Duration is the phase's own measurement of its work.
	Duration  time.Duration
	Addresses []netip.Addr
	// Conn is the connection handed on to the next phase; the runner owns
	// it from here and closes it when the probe is done with it.
	Conn       net.Conn
	Attributes sdk.Attributes
	// Failure is set when the phase ran and failed; the implementation
	// serving it is fine.
	Failure *sdk.Error
	// Reusable says the connection can carry another request.
	Reusable bool
}

// Phases runs phases by name. Session implements it over plugin processes
// (Linux only); InProcess by calling sdk.Phase values in this process.
//
// Run returns an error only when the call itself failed (a plugin process
// crashed, hung past the budget or broke protocol); a phase that ran and
// failed is a Reply with Failure set. An error wrapping
// context.DeadlineExceeded is reported as kind timeout, one wrapping
// context.Canceled as an interruption, an *sdk.Error with its own kind, and
// anything else as kind plugin.
type Phases interface {
	Run(ctx context.Context, phase string, call Call) (Reply, error)
	// Plugin names the implementation serving phase, for display
	// ("dns 0.1.0").
	Plugin(phase string) string
	// Abort unblocks whatever is still using conns after a call was
	// abandoned: it shuts them down for every process holding them.
	Abort(conns []net.Conn)
}
