//go:build linux

// Package sdktest runs a phase through the real plugin RPC layer inside a
// test: gRPC over a unix socket and the same fd channel that carries
// connections between processes, all in the test's own process.
//
//	h := sdktest.New(t, myphase.New())
//	h.Configure(t, `{"servers": ["127.0.0.1:5353"]}`)
//	res, err := h.Run(ctx, &sdk.Request{Target: sdk.Target{Host: "www.probe.test", Port: 80}})
package sdktest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// Harness drives one phase over the RPC layer.
type Harness struct {
	client *wire.Client
}

// New serves phase in-process and connects a client to it. Everything is
// torn down when the test ends.
func New(t testing.TB, phase sdk.Phase) *Harness {
	t.Helper()
	hostEnd, pluginEnd, err := channelPair()
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	gp := &wire.GRPCPlugin{Impl: phase, ServerChannel: pluginEnd, ClientChannel: hostEnd}
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{wire.PluginName: gp})
	t.Cleanup(func() {
		client.Close()
		hostEnd.Close()
		pluginEnd.Close()
	})
	raw, err := client.Dispense(wire.PluginName)
	if err != nil {
		t.Fatalf("sdktest: dispense: %v", err)
	}
	return &Harness{client: raw.(*wire.Client)}
}

func channelPair() (*fdpass.Channel, *fdpass.Channel, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	a, err := fdpass.FromFile(os.NewFile(uintptr(fds[0]), "sdktest-host"))
	if err != nil {
		unix.Close(fds[1])
		return nil, nil, err
	}
	b, err := fdpass.FromFile(os.NewFile(uintptr(fds[1]), "sdktest-plugin"))
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return a, b, nil
}

// Describe returns the phase's description as it crosses the wire.
func (h *Harness) Describe(t testing.TB) sdk.Description {
	t.Helper()
	d, err := h.client.Describe(context.Background())
	if err != nil {
		t.Fatalf("sdktest: describe: %v", err)
	}
	return d
}

// Configure sends a JSON object as config and returns what the phase
// rejected (nil when it accepted it). The host normally type-checks config
// against the schema first; here the JSON goes to the phase as it is. The
// phase sees an empty sdk.Config.InstanceName; see ConfigureInstance.
func (h *Harness) Configure(t testing.TB, configJSON string) []*sdk.AttributeError {
	t.Helper()
	return h.ConfigureInstance(t, "", configJSON)
}

// ConfigureInstance is Configure for the instance called instance, as the
// host sends it for a `plugin "NAME"` block: sdk.Config.InstanceName
// returns it in the phase.
func (h *Harness) ConfigureInstance(t testing.TB, instance, configJSON string) []*sdk.AttributeError {
	t.Helper()
	problems, err := h.client.Configure(context.Background(), instance, []byte(configJSON))
	if err != nil {
		t.Fatalf("sdktest: configure: %v", err)
	}
	return problems
}

// Run runs the phase once. A deadline on ctx is the phase's budget, as in
// a real run. req.Conn, if set, must be a socket (it implements
// syscall.Conn); it is passed by descriptor like in production and the
// caller keeps its own handle. A phase failure comes back as an *sdk.Error
// (with a Result when the phase returned one); any other error means the RPC
// layer failed. Result.Conn is the host's handle on the connection the phase
// handed on; the caller closes it.
func (h *Harness) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	call := wire.Call{Target: req.Target, Addresses: req.Addresses, Attributes: req.Attributes, Conn: req.Conn}
	if dl, ok := ctx.Deadline(); ok {
		// As the host does: the deadline becomes the phase's budget, and the
		// call waits a little longer, so the phase's own timeout error (not
		// the RPC's) comes back.
		call.Timeout = max(time.Until(dl), time.Millisecond)
		ctx = context.WithoutCancel(ctx)
	}
	reply, err := h.client.Run(ctx, call)
	if err != nil {
		return nil, err
	}
	res := &sdk.Result{
		Duration:   reply.Duration,
		Addresses:  reply.Addresses,
		Conn:       reply.Conn,
		Attributes: reply.Attributes,
		Reusable:   reply.Reusable,
	}
	if reply.Failure != nil {
		return res, reply.Failure
	}
	return res, nil
}

// Kind returns the error kind of err, or "" when err is not a phase failure.
func Kind(err error) sdk.ErrorKind {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
