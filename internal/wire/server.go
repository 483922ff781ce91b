//go:build linux

package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/phaserun"
	"github.com/probe-net/probe/internal/phasev1"
	"github.com/probe-net/probe/sdk"
)

// server runs inside the plugin process and adapts an sdk.Phase to gRPC.
type server struct {
	phasev1.UnimplementedPhaseServer
	impl    sdk.Phase
	channel *fdpass.Channel
}

func newServer(impl sdk.Phase, ch *fdpass.Channel) *server {
	return &server{impl: impl, channel: ch}
}

func (s *server) Describe(context.Context, *phasev1.DescribeRequest) (*phasev1.DescribeResponse, error) {
	return describeToProto(s.impl.Describe())
}

func (s *server) Configure(_ context.Context, req *phasev1.ConfigureRequest) (*phasev1.ConfigureResponse, error) {
	err := s.impl.Configure(sdk.NewConfig(req.GetConfigJson()).WithInstanceName(req.GetInstanceName()))
	resp := &phasev1.ConfigureResponse{}
	for _, e := range flatten(err) {
		p := &phasev1.ConfigProblem{Message: e.Error()}
		var ae *sdk.AttributeError
		if errors.As(e, &ae) {
			p.Attribute, p.Message = ae.Attribute, ae.Err.Error()
		}
		resp.Problems = append(resp.Problems, p)
	}
	return resp, nil
}

// flatten expands errors.Join trees into their leaves.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func (s *server) Run(ctx context.Context, req *phasev1.RunRequest) (*phasev1.RunResponse, error) {
	return s.run(ctx, req), nil
}

// run runs one call; ctx ends when the host gives up on it. A call that
// fails before or after the phase itself is a response with a failure of
// kind plugin.
func (s *server) run(ctx context.Context, req *phasev1.RunRequest) *phasev1.RunResponse {
	rpcCtx := ctx // ends when the host gives up on the call
	if t := time.Duration(req.GetTimeoutNs()); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	in, err := s.request(ctx, req)
	if err != nil {
		if s.channel != nil && req.GetConnId() != 0 {
			s.channel.Discard(req.GetConnId())
		}
		return failed(sdk.KindPlugin, err)
	}
	res, runErr := phaserun.Run(ctx, s.impl, in)
	resp, err := s.respond(rpcCtx, req, in, res, runErr)
	if err != nil {
		closeQuietly(in.Conn)
		return failed(sdk.KindPlugin, err)
	}
	return resp
}

// request converts the wire request and claims the connection it names.
func (s *server) request(ctx context.Context, req *phasev1.RunRequest) (*sdk.Request, error) {
	addrs, err := addrsFromProto(req.GetAddresses())
	if err != nil {
		return nil, err
	}
	in := &sdk.Request{
		Target:     targetFromProto(req.GetTarget()),
		Addresses:  addrs,
		Attributes: attrsFromProto(req.GetAttributes()),
	}
	if id := req.GetConnId(); id != 0 {
		if s.channel == nil {
			return nil, errors.New("no fd channel: this plugin was not started by probe")
		}
		conn, err := s.channel.Receive(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("receiving connection: %w", err)
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(dl)
		}
		in.Conn = conn
	}
	return in, nil
}

// respond builds the wire response and hands the result's connection on.
func (s *server) respond(ctx context.Context, req *phasev1.RunRequest, in *sdk.Request, res *sdk.Result, runErr error) (*phasev1.RunResponse, error) {
	attrs, err := attrsToProto(res.Attributes)
	if err != nil {
		closeQuietly(res.Conn)
		return nil, err
	}
	resp := &phasev1.RunResponse{DurationNs: int64(res.Duration), Addresses: addrsToProto(res.Addresses), Attributes: attrs, Reusable: res.Reusable}
	if runErr != nil {
		resp.Failure = &phasev1.Failure{Kind: string(sdk.Classify(runErr)), Message: runErr.Error()}
		closeQuietly(res.Conn)
		closeQuietly(in.Conn)
		return resp, nil
	}
	if res.Conn == nil {
		closeQuietly(in.Conn)
		return resp, nil
	}
	if err := s.handOn(ctx, req.GetOutConnId(), in.Conn, res.Conn); err != nil {
		return nil, err
	}
	resp.HasConn = true
	return resp, nil
}

// handOn sends out to the host. A socket goes as it is; anything else is
// bridged through a socket pair pumped in this process. ctx is the call's:
// the host stops waiting when it ends.
func (s *server) handOn(ctx context.Context, id uint64, in, out net.Conn) error {
	if s.channel == nil {
		closeQuietly(out)
		return errors.New("no fd channel: cannot hand a connection on")
	}
	if id == 0 {
		closeQuietly(out)
		return errors.New("host did not ask for a connection (out_conn_id is 0)")
	}
	_ = out.SetDeadline(time.Time{})
	if sock, ok := socketOf(out); ok {
		err := s.channel.Send(ctx, id, sock)
		closeQuietly(out)
		if in != nil && in != out {
			closeQuietly(in)
		}
		return err
	}
	return bridge(ctx, s.channel, id, in, out)
}

func failed(kind sdk.ErrorKind, err error) *phasev1.RunResponse {
	return &phasev1.RunResponse{Failure: &phasev1.Failure{Kind: string(kind), Message: err.Error()}}
}

func closeQuietly(c net.Conn) {
	if c != nil {
		_ = c.Close()
	}
}
