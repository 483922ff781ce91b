//go:build linux

package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// Plugin is one plugin, served by one process at a time: a process that
// crashed or stopped answering is replaced (at most MaxRestarts times within
// any RestartWindow, or without limit and with backoff under
// Options.Unlimited).
type Plugin struct {
	spec Spec
	host *Host

	mu       sync.Mutex // guards the fields below; held only briefly
	proc     *process
	desc     sdk.Description
	config   []byte // last config accepted, re-sent after a restart
	restarts int
	recent   []time.Time // when the replacements within RestartWindow started
	broken   error       // set when a replacement could not be started or configured
	closed   bool
	// replacing is closed when the replacement under way is done; nil
	// when none is.
	replacing chan struct{}
	// With Options.Unlimited: when the current process started (or the
	// last replacement failed), replacements in a row, and no replacement
	// before retryAt.
	since   time.Time
	streak  int
	retryAt time.Time
}

// Name is the phase this plugin serves.
func (p *Plugin) Name() string { return p.spec.Name }

// Spec is how the plugin was started.
func (p *Plugin) Spec() Spec { return p.spec }

// Description is what the plugin said about itself at start.
func (p *Plugin) Description() sdk.Description {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.desc
}

// PID is the process id of the current plugin process (0 if none).
func (p *Plugin) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return 0
	}
	return p.proc.pid
}

// Restarts counts the replacements of a process that crashed or stopped
// answering.
func (p *Plugin) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// startFailed says which plugin failed to start: where it was declared,
// its name, and its executable when it is not a built-in.
func (p *Plugin) startFailed(err error) error {
	what := fmt.Sprintf("plugin %q", p.spec.Name)
	if p.spec.Path != "" {
		what += " (" + p.spec.Path + ")"
	}
	if p.spec.Where != "" {
		what = p.spec.Where + ": " + what
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (p *Plugin) start(ctx context.Context) error {
	proc, desc, err := p.launch(ctx)
	if err != nil {
		return p.startFailed(err)
	}
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.proc, p.desc, p.since = proc, desc, time.Now()
	}
	p.mu.Unlock()
	if closed {
		proc.stop(true)
		return fmt.Errorf("plugin %q: host closed while starting", p.spec.Name)
	}
	if p.host.opts.Unlimited {
		p.host.background(p.watch)
	}
	return nil
}

// WatchEvery is how often, with Options.Unlimited, a plugin's process is
// checked: one that died is replaced then (with the backoff), not at its
// next call, which a plugin behind a cache may not get for minutes.
const WatchEvery = time.Second

// watch replaces p's process when it dies, until the host closes.
func (p *Plugin) watch() {
	t := time.NewTicker(WatchEvery)
	defer t.Stop()
	for {
		select {
		case <-p.host.ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		dead := !p.closed && p.broken == nil && p.replacing == nil && p.proc != nil && p.proc.dead()
		p.mu.Unlock()
		if dead {
			_, _, _ = p.current() // starts the replacement, or waits out the backoff
		}
	}
}

// callError says plainly that a plugin did not answer in time.
func callError(ctx context.Context, err error) error {
	if status.Code(err) == codes.DeadlineExceeded || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errors.New("the plugin did not answer in time")
	}
	return err
}

// Configure sends the plugin its config (a JSON object) and its instance
// name (Spec.Name, the plugin block's label), and keeps the config for
// restarts. Problems are what the plugin rejected; err is a failed call
// (within the host's StartTimeout).
func (p *Plugin) Configure(ctx context.Context, configJSON []byte) ([]*sdk.AttributeError, error) {
	ctx, cancel := context.WithTimeout(ctx, p.host.opts.StartTimeout)
	defer cancel()
	proc, err := p.live(ctx)
	if err != nil {
		return nil, err
	}
	problems, err := proc.phase.Configure(ctx, p.spec.Name, configJSON)
	if err != nil {
		return nil, callError(ctx, err)
	}
	if len(problems) == 0 {
		p.mu.Lock()
		p.config = configJSON
		p.mu.Unlock()
	}
	return problems, nil
}

// Run runs the phase once. An error means the plugin failed (crashed, hung
// or broke protocol); the next Run uses a replacement process. With a
// call.Timeout, Run returns within call.Timeout plus wire.TimeoutGrace
// whatever the plugin does; an error from running out of that time wraps
// context.DeadlineExceeded or has gRPC code DeadlineExceeded. A plugin
// that let the time run out and then does not answer a liveness check
// either (within LivenessTimeout, in the background) is declared hung and
// killed, and replaced on the next Run.
//
// A connection handed back as a unix socket is a bridge the plugin keeps
// relaying; it has a RelayError() error method saying whether the plugin
// process still can.
func (p *Plugin) Run(ctx context.Context, call wire.Call) (wire.Reply, error) {
	parent := ctx
	if call.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, call.Timeout+wire.TimeoutGrace)
		defer cancel()
	}
	proc, err := p.live(ctx)
	if err != nil {
		return wire.Reply{}, err
	}
	reply, err := proc.phase.Run(ctx, call)
	switch {
	case err == nil:
		reply.Conn = p.relayed(proc, reply.Conn)
	case parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		p.checkLiveness(proc)
	case status.Code(err) == codes.Unavailable && awaitExit(ctx, proc):
		return reply, fmt.Errorf("plugin %q (pid %d) %s: %w", p.spec.Name, proc.pid, proc.fate(), err)
	}
	return reply, err
}

func (p *Plugin) relayed(proc *process, conn net.Conn) net.Conn {
	switch c := conn.(type) {
	case *net.UnixConn:
		return &relayedConn{Conn: c, plugin: p.spec.Name, proc: proc}
	case *fdpass.Socket:
		if c.Unix() {
			return &relayedConn{Conn: c, plugin: p.spec.Name, proc: proc}
		}
	}
	return conn
}

// awaitExit reports whether proc has exited, waiting up to a second (but
// not past ctx) for go-plugin to notice: the RPC socket breaks a moment
// before the exit is reaped.
func awaitExit(ctx context.Context, proc *process) bool {
	deadline := time.Now().Add(time.Second)
	for !proc.dead() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// LivenessTimeout bounds the check that decides whether a plugin that let
// a call's time run out is hung: a Describe call, which a live plugin
// answers at once even while a phase of it is stuck.
const LivenessTimeout = time.Second

// checkLiveness asks proc, in the background, whether it still answers; if
// it does not, it is declared hung and killed, so that the next call
// replaces it. A plugin whose phase is stuck but whose process answers is
// kept: the host shuts the probe's sockets down instead.
func (p *Plugin) checkLiveness(proc *process) {
	if proc.dead() || !proc.checking.CompareAndSwap(false, true) {
		return
	}
	started := p.host.background(func() {
		defer proc.checking.Store(false)
		ctx, cancel := context.WithTimeout(p.host.ctx, LivenessTimeout)
		defer cancel()
		_, err := proc.phase.Describe(ctx)
		if err == nil || p.host.ctx.Err() != nil || proc.dead() {
			return
		}
		proc.hung.Store(true)
		p.host.opts.Logger.Warn("plugin stopped answering; killing it, a new process will replace it",
			"plugin", p.spec.Name, "pid", proc.pid, "error", callError(ctx, err))
		proc.stop(false)
	})
	if !started {
		proc.checking.Store(false)
	}
}

// live returns the running process, waiting (within ctx) for a replacement
// when it died.
func (p *Plugin) live(ctx context.Context) (*process, error) {
	for {
		proc, wait, err := p.current()
		if proc != nil || err != nil {
			return proc, err
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("plugin %q is being replaced and was not back in time", p.spec.Name)
		}
	}
}

// current returns the live process; or, while a replacement starts (it
// starts one if needed), a channel closed when it is done; or why the
// plugin cannot be used.
func (p *Plugin) current() (*process, <-chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return nil, nil, fmt.Errorf("plugin %q is stopped", p.spec.Name)
	case p.broken != nil:
		return nil, nil, p.broken
	case p.proc == nil:
		return nil, nil, fmt.Errorf("plugin %q is not running", p.spec.Name)
	case p.replacing != nil:
		return nil, p.replacing, nil
	case !p.proc.dead():
		return p.proc, nil, nil
	case !p.host.opts.Unlimited && p.budgetSpent():
		return nil, nil, fmt.Errorf("plugin %q %s and was restarted %d times in the last %s; giving up until the oldest of those is %s old",
			p.spec.Name, p.proc.fate(), len(p.recent), p.host.opts.RestartWindow, p.host.opts.RestartWindow)
	case p.host.opts.Unlimited && time.Now().Before(p.retryAt):
		return nil, nil, fmt.Errorf("plugin %q %s; restart %d in %s (backoff)", p.spec.Name, p.proc.fate(), p.restarts+1, time.Until(p.retryAt).Round(time.Millisecond))
	}
	if p.host.opts.Unlimited {
		p.backoff()
	}
	done := make(chan struct{})
	old, config := p.proc, p.config
	if !p.host.background(func() { p.replace(old, config, done) }) {
		return nil, nil, fmt.Errorf("plugin %q is stopped", p.spec.Name)
	}
	p.noteReplacement()
	p.replacing = done
	return nil, done, nil
}

// noteReplacement counts a replacement starting now. p.mu is held.
func (p *Plugin) noteReplacement() {
	p.restarts++
	if p.host.opts.Unlimited {
		// Unlimited never consults the window (it backs off instead): a
		// list kept anyway would grow by one entry with every replacement
		// for as long as serve runs.
		return
	}
	p.recent = append(p.recent, time.Now())
}

// budgetSpent reports whether the plugin was replaced MaxRestarts times
// within the last RestartWindow, forgetting older replacements. p.mu is held.
func (p *Plugin) budgetSpent() bool {
	cutoff := time.Now().Add(-p.host.opts.RestartWindow)
	kept := p.recent[:0]
	for _, t := range p.recent {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	p.recent = kept
	return len(p.recent) >= p.host.opts.MaxRestarts
}

// backoff sets when the replacement after the one starting now may start
// (Options.Unlimited): RestartBackoff doubled for each replacement in a row,
// at most MaxBackoff; a process that lived MaxBackoff ends the row. p.mu is
// held.
func (p *Plugin) backoff() {
	if !p.since.IsZero() && time.Since(p.since) >= MaxBackoff {
		p.streak = 0
	}
	p.retryAt = time.Now().Add(min(RestartBackoff<<min(p.streak, 16), MaxBackoff))
	p.streak++
}

// replace stops old, starts a new process and re-sends config, within the
// host's StartTimeout for each step; callers wait on done.
func (p *Plugin) replace(old *process, config []byte, done chan struct{}) {
	p.host.opts.Logger.Warn("restarting plugin", "plugin", p.spec.Name, "pid", old.pid, "reason", old.fate(), "restart", p.Restarts())
	old.stop(false)
	proc, _, err := p.launch(p.host.ctx)
	if err == nil && config != nil {
		err = p.reconfigure(proc, config)
	}
	p.mu.Lock()
	closed := p.closed
	switch {
	case err != nil && !closed && p.host.opts.Unlimited:
		// p.proc stays the dead one: tried again after the backoff.
		p.since = time.Now()
		p.host.opts.Logger.Error("plugin could not be restarted; trying again after a backoff", "plugin", p.spec.Name, "error", err)
	case err != nil && !closed:
		p.broken = fmt.Errorf("plugin %q %s and could not be restarted: %w", p.spec.Name, old.fate(), err)
	case err == nil && !closed:
		p.proc, p.since = proc, time.Now()
	}
	p.replacing = nil
	close(done)
	p.mu.Unlock()
	if err == nil && closed {
		proc.stop(true)
	}
}

func (p *Plugin) reconfigure(proc *process, config []byte) error {
	ctx, cancel := context.WithTimeout(p.host.ctx, p.host.opts.StartTimeout)
	defer cancel()
	problems, err := proc.phase.Configure(ctx, p.spec.Name, config)
	if err == nil && len(problems) > 0 {
		err = errors.New(problems[0].Error())
	}
	if err != nil {
		proc.stop(false)
		return fmt.Errorf("reconfiguring: %w", callError(ctx, err))
	}
	return nil
}

// stop ends the process (see process.stop); the plugin is never restarted
// after it.
func (p *Plugin) stop() {
	p.mu.Lock()
	proc := p.proc
	p.closed = true
	p.mu.Unlock()
	if proc != nil {
		proc.stop(true)
	}
}
