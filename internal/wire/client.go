//go:build linux

package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/phasev1"
	"github.com/probe-net/probe/sdk"
)

// Client is the host's handle on one phase plugin.
type Client struct {
	rpc     phasev1.PhaseClient
	calls   *callMux
	reads   atomic.Pointer[[]string] // what Describe said the plugin reads; unset: all
	channel *fdpass.Channel
}

// Call is the input of one phase run, as the host sees it.
type Call struct {
	Target    sdk.Target
	Addresses []netip.Addr
	// Conn is sent over the fd channel (it must be a socket: implement
	// syscall.Conn); the host keeps its handle.
	Conn net.Conn
	// Attributes of earlier phases; only those the plugin reads (see
	// sdk.Description.Reads, learnt by Describe) are sent.
	Attributes sdk.Attributes
	// Timeout is the phase's budget; 0 means none. The plugin's context
	// gets exactly this; the call itself is abandoned TimeoutGrace later.
	Timeout time.Duration
}

// TimeoutGrace is how much longer than a phase's budget the host waits for
// its answer before giving up on the plugin.
const TimeoutGrace = 250 * time.Millisecond

// Reply is the output of one phase run, as the host sees it.
type Reply struct {
	Duration   time.Duration
	Addresses  []netip.Addr
	Conn       net.Conn // the host's handle on the connection handed back
	Attributes sdk.Attributes
	Failure    *sdk.Error // the phase failed; the plugin itself is fine
	Reusable   bool       // the connection can carry another request
}

// Describe asks the plugin what it is.
func (c *Client) Describe(ctx context.Context) (sdk.Description, error) {
	resp, err := c.rpc.Describe(ctx, &phasev1.DescribeRequest{})
	if err != nil {
		return sdk.Description{}, err
	}
	d, err := describeFromProto(resp)
	if err == nil && d.Reads != nil {
		c.reads.Store(&d.Reads)
	}
	return d, err
}

// Configure sends the plugin its config, a JSON object, and the name of
// the instance it serves (sdk.Config.InstanceName; "" when unknown). The
// problems it reports come back as *sdk.AttributeError (Attribute empty
// when the problem is not about one attribute); err is for a failed call.
func (c *Client) Configure(ctx context.Context, instance string, configJSON []byte) (problems []*sdk.AttributeError, err error) {
	resp, err := c.rpc.Configure(ctx, &phasev1.ConfigureRequest{ConfigJson: configJSON, InstanceName: instance})
	if err != nil {
		return nil, err
	}
	for _, p := range resp.GetProblems() {
		problems = append(problems, &sdk.AttributeError{Attribute: p.GetAttribute(), Err: errors.New(p.GetMessage())})
	}
	return problems, nil
}

// Run runs the phase once. An error means the call failed (the plugin
// crashed, hung past the deadline or broke protocol); a phase that ran and
// failed is reported in Reply.Failure. Every step, handing over the
// connection included, ends by call.Timeout plus TimeoutGrace; an error
// from running out of that time wraps context.DeadlineExceeded or has gRPC
// code DeadlineExceeded.
func (c *Client) Run(ctx context.Context, call Call) (Reply, error) {
	req := &phasev1.RunRequest{
		Target:    targetToProto(call.Target),
		Addresses: addrsToProto(call.Addresses),
		OutConnId: nextConnID(),
		TimeoutNs: int64(call.Timeout),
	}
	var reads []string
	if r := c.reads.Load(); r != nil {
		reads = *r
	}
	attrs, err := selectToProto(call.Attributes, reads)
	if err != nil {
		return Reply{}, err
	}
	req.Attributes = attrs
	if call.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, call.Timeout+TimeoutGrace)
		defer cancel()
	}
	if call.Conn != nil {
		sock, ok := call.Conn.(syscall.Conn)
		if !ok {
			return Reply{}, fmt.Errorf("cannot pass a %T to another process: it has no file descriptor", call.Conn)
		}
		if c.channel == nil {
			return Reply{}, errors.New("no fd channel to this plugin")
		}
		req.ConnId = nextConnID()
		if err := c.channel.Send(ctx, req.ConnId, sock); err != nil {
			return Reply{}, err
		}
	}
	resp, err := c.invoke(ctx, req)
	if err != nil {
		c.discard(req.OutConnId)
		return Reply{}, err
	}
	return c.reply(ctx, req.OutConnId, resp)
}

// invoke runs req on the Calls stream, or as a unary Run for a plugin
// without one.
func (c *Client) invoke(ctx context.Context, req *phasev1.RunRequest) (*phasev1.RunResponse, error) {
	resp, err := c.calls.call(ctx, req)
	if errors.Is(err, errUnary) {
		req.CallId = 0
		return c.rpc.Run(ctx, req)
	}
	return resp, err
}

// Open opens the Calls stream now rather than on the first Run, so the
// first probe does not wait for it (nor for the plugin to start serving
// it). Failing to open is not an error here: Run tries again.
func (c *Client) Open() {
	if cs, id, _, err := c.calls.register(); err == nil {
		c.calls.forget(cs, id)
	}
}

// Close ends the Calls stream; calls in flight fail.
func (c *Client) Close() { c.calls.close() }

func (c *Client) reply(ctx context.Context, outID uint64, resp *phasev1.RunResponse) (Reply, error) {
	addrs, err := addrsFromProto(resp.GetAddresses())
	if err != nil {
		c.discard(outID)
		return Reply{}, fmt.Errorf("plugin reply: %w", err)
	}
	r := Reply{
		Duration:   time.Duration(resp.GetDurationNs()),
		Addresses:  addrs,
		Attributes: attrsFromProto(resp.GetAttributes()),
		Reusable:   resp.GetReusable(),
	}
	if f := resp.GetFailure(); f != nil {
		r.Failure = &sdk.Error{Kind: sdk.ErrorKind(f.GetKind()), Err: errors.New(f.GetMessage())}
	}
	if resp.GetHasConn() {
		if c.channel == nil {
			return Reply{}, errors.New("plugin handed back a connection but there is no fd channel")
		}
		// The host passes it on, shuts it down or closes it: it need not
		// be a full net.Conn (see fdpass.Socket).
		conn, err := c.channel.ReceiveSocket(ctx, outID)
		if err != nil {
			return Reply{}, fmt.Errorf("plugin reply: %w", err)
		}
		r.Conn = conn
	}
	return r, nil
}

func (c *Client) discard(id uint64) {
	if c.channel != nil {
		c.channel.Discard(id)
	}
}
