//go:build linux

// Package session serves a plan's phases from plugin processes: one process
// per phase over hashicorp/go-plugin, sockets handed between them with
// SCM_RIGHTS (Linux only). A Session implements runner.Phases, so the
// runner drives it like any other set of phases, and config.Configurer, so
// the step that owns the targets file configures its plugins. It lives
// apart from core/runner so that programs embedding the runner in process
// (package preconnect) do not compile the plugin machinery.
package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// Session is the set of plugin processes serving a plan's phases, one
// process per phase, over hashicorp/go-plugin (Linux only: sockets travel
// between processes with SCM_RIGHTS). It implements runner.Phases and, for the
// step that owns the targets file, config.Configurer.
type Session struct {
	names   map[string]string // phase → "name version", for samples
	host    *pluginhost.Host
	plugins map[string]*pluginhost.Plugin
	order   []*pluginhost.Plugin
}

// StartOptions configure Start.
type StartOptions struct {
	Host pluginhost.Options
}

// Start starts the plugins serving plugins' phases, concurrently, and asks
// each what it is (Describe). It does not configure them: send each its
// config with Configure before the first Run. The caller must Close the
// session whatever Start returns; the error says which plugin failed.
func Start(ctx context.Context, plugins []plan.Plugin, opts StartOptions) (*Session, error) {
	host, err := pluginhost.New(opts.Host)
	if err != nil {
		return nil, err
	}
	s := &Session{host: host, plugins: map[string]*pluginhost.Plugin{}, names: map[string]string{}}
	specs := make([]pluginhost.Spec, len(plugins))
	for i, pl := range plugins {
		specs[i] = pluginhost.Spec{Name: pl.Name, Builtin: pl.Builtin, Path: pl.Path, Args: pl.Args,
			SHA256: pl.SHA256, Env: pl.Env, PassEnv: pl.PassEnv, Where: pl.Where}
	}
	started, err := host.Start(ctx, specs)
	if err != nil {
		return s, err
	}
	for i, pl := range plugins {
		s.plugins[pl.Name] = started[i]
		s.order = append(s.order, started[i])
		desc := started[i].Description()
		s.names[pl.Name] = desc.Name + " " + desc.Version
	}
	return s, nil
}

// Describe returns what the plugin serving phase said it is; the zero
// Description for a phase the session does not serve.
func (s *Session) Describe(phase string) sdk.Description {
	if p, ok := s.plugins[phase]; ok {
		return p.Description()
	}
	return sdk.Description{}
}

// Configure sends phase's plugin its config, a JSON object, and keeps it for
// restarts. The problems are what the plugin rejected; err is a call that
// failed (bounded by the host's StartTimeout).
func (s *Session) Configure(ctx context.Context, phase string, configJSON []byte) ([]*sdk.AttributeError, error) {
	p, ok := s.plugins[phase]
	if !ok {
		return nil, fmt.Errorf("no plugin serves phase %q", phase)
	}
	return p.Configure(ctx, configJSON)
}

// Run runs one phase on its plugin. A plugin that did not answer within the
// call's budget plus a short grace (250 ms) is an error wrapping
// context.DeadlineExceeded.
func (s *Session) Run(ctx context.Context, phase string, call runner.Call) (runner.Reply, error) {
	p, ok := s.plugins[phase]
	if !ok {
		return runner.Reply{}, fmt.Errorf("no plugin serves phase %q", phase)
	}
	r, err := p.Run(ctx, wire.Call{Target: call.Target, Addresses: call.Addresses, Conn: call.Conn,
		Attributes: call.Attributes, Timeout: call.Timeout})
	if err != nil {
		return runner.Reply{}, sessionError(ctx, err)
	}
	return runner.Reply{Duration: r.Duration, Addresses: r.Addresses, Conn: r.Conn, Attributes: r.Attributes,
		Failure: r.Failure, Reusable: r.Reusable}, nil
}

// sessionError maps a failed gRPC call to the context errors Phases
// promises.
func sessionError(ctx context.Context, err error) error {
	switch code := status.Code(err); {
	case code == codes.DeadlineExceeded, errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded):
		return hungError{fmt.Sprintf("the plugin did not answer within what was left of the budget, plus %s grace (hung?)", wire.TimeoutGrace)}
	case code == codes.Canceled, errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("interrupted: %w", context.Canceled)
	}
	return err
}

// hungError is a plugin that did not answer in time; it is a
// context.DeadlineExceeded for errors.Is.
type hungError struct{ msg string }

func (e hungError) Error() string        { return e.msg }
func (e hungError) Is(target error) bool { return target == context.DeadlineExceeded }

// Abort shuts conns down for every process holding them, so a plugin
// stuck reading or writing on them returns.
func (s *Session) Abort(conns []net.Conn) {
	for _, c := range conns {
		if sc, ok := c.(syscall.Conn); ok {
			fdpass.Shutdown(sc)
		}
	}
}

// Plugin names the plugin serving phase.
func (s *Session) Plugin(phase string) string { return s.names[phase] }

// Info describes one running plugin.
type Info struct {
	Phase       string
	Spec        pluginhost.Spec
	Description sdk.Description
	PID         int
	Restarts    int
}

// Plugins describes the session's plugins in plan order.
func (s *Session) Plugins() []Info {
	out := make([]Info, 0, len(s.order))
	for _, p := range s.order {
		out = append(out, Info{Phase: p.Name(), Spec: p.Spec(), Description: p.Description(), PID: p.PID(), Restarts: p.Restarts()})
	}
	return out
}

// Close stops every plugin process and removes their sockets.
func (s *Session) Close() error {
	if s == nil || s.host == nil {
		return nil
	}
	return s.host.Close()
}
