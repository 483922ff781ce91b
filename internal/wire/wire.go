//go:build linux

// Package wire connects the public sdk types to the gRPC protocol in
// internal/phasev1 and to hashicorp/go-plugin. It holds both halves: the
// server that runs inside a plugin process and the client the host uses.
// Conversion between protobuf and sdk types happens here and nowhere else.
package wire

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/phasev1"
	"github.com/probe-net/probe/sdk"
)

// ProtocolVersion is the wire major version. Bump it on any incompatible
// change to phase.proto or to the fd channel.
const ProtocolVersion = 1

// PluginName is the single plugin a phase plugin process serves.
const PluginName = "phase"

// Handshake is shared by host and plugins. The cookie is not a security
// measure; it stops a plugin binary from being run by hand by mistake.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "PROBE_PHASE_PLUGIN",
	MagicCookieValue: "a phase plugin for probe; run it through probe, not by hand",
}

// GRPCPlugin is the go-plugin Plugin for phases. The plugin process sets
// Impl and ServerChannel; the host sets ClientChannel.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl          sdk.Phase
	ServerChannel *fdpass.Channel
	ClientChannel *fdpass.Channel
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the phase service inside the plugin process.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	phasev1.RegisterPhaseServer(s, newServer(p.Impl, p.ServerChannel))
	return nil
}

// GRPCClient returns a *Client for the host.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return newClient(phasev1.NewPhaseClient(c), p.ClientChannel), nil
}

// PluginSet returns the versioned plugin set for go-plugin's client or server config.
func PluginSet(p *GRPCPlugin) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{ProtocolVersion: {PluginName: p}}
}

var lastConnID atomic.Uint64

// nextConnID returns a connection id unique within this host process.
func nextConnID() uint64 { return lastConnID.Add(1) }

func newClient(rpc phasev1.PhaseClient, ch *fdpass.Channel) *Client {
	return &Client{rpc: rpc, channel: ch, calls: &callMux{open: func(ctx context.Context) (phasev1.Phase_CallsClient, error) {
		return rpc.Calls(ctx)
	}}}
}

var warmOnce sync.Once

// Warm initialises, once per process, what the first call would otherwise
// pay for: protobuf builds its codec tables for a message type on first
// use, about 0.5 ms for RunRequest, RunResponse and Value together on this
// project's 2-vCPU machine, on the path of the first probe in every plugin
// process and in the host. Call it in a goroutine while waiting for
// something else (plugin processes starting; the host's first call).
func Warm() {
	warmOnce.Do(func() {
		attrs, _ := attrsToProto(sdk.Attributes{"w.s": "x", "w.i": 1, "w.f": 0.5, "w.b": true, "w.d": time.Millisecond, "w.l": []string{"x"}})
		for _, m := range []proto.Message{
			&phasev1.RunRequest{Target: &phasev1.Target{Name: "w"}, Addresses: []string{"127.0.0.1"}, Attributes: attrs},
			&phasev1.RunResponse{Attributes: attrs, Failure: &phasev1.Failure{Kind: "w"}},
		} {
			if b, err := proto.Marshal(m); err == nil {
				_ = proto.Unmarshal(b, m.ProtoReflect().New().Interface())
			}
		}
	})
}
