//go:build linux

package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/pluginproc"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// Plugin is one running plugin process (restarted if it crashes).
type Plugin struct {
	spec Spec
	host *Host

	// gate is held while the process is being (re)started; a caller
	// waiting for it gives up when its own context ends.
	gate chan struct{}

	mu       sync.Mutex // guards the fields below; held only briefly
	proc     *process
	desc     sdk.Description
	config   []byte // last config accepted, re-sent after a restart
	restarts int
	broken   error // set when a restarted process could not be configured
	closed   bool
}

// process is one incarnation of the plugin.
type process struct {
	client  *plugin.Client
	channel *fdpass.Channel
	phase   *wire.Client
	pid     int
}

func (pr *process) exited() bool { return pr.client.Exited() }

func (pr *process) kill() {
	if pr.phase != nil {
		pr.phase.Close()
	}
	pr.client.Kill()
	pr.channel.Close()
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

// Restarts counts the restarts after a crash.
func (p *Plugin) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

func (p *Plugin) start(ctx context.Context) error {
	p.gate <- struct{}{}
	defer func() { <-p.gate }()
	proc, desc, err := p.launch(ctx)
	if err != nil {
		return fmt.Errorf("plugin %q: %w", p.spec.Name, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		proc.kill()
		return fmt.Errorf("plugin %q: host closed while starting", p.spec.Name)
	}
	p.proc, p.desc = proc, desc
	return nil
}

// launch starts a process and asks it to describe itself, within the
// host's StartTimeout.
func (p *Plugin) launch(ctx context.Context) (*process, sdk.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, p.host.opts.StartTimeout)
	defer cancel()
	cmd, err := p.command()
	if err != nil {
		return nil, sdk.Description{}, err
	}
	channel, childEnd, err := fdpass.Pair()
	if err != nil {
		return nil, sdk.Description{}, err
	}
	client := plugin.NewClient(p.clientConfig(cmd, channel, childEnd))
	phase, err := dispense(client)
	childEnd.Close()
	proc := &process{client: client, channel: channel, phase: phase}
	if err != nil {
		proc.kill()
		return nil, sdk.Description{}, err
	}
	desc, err := phase.Describe(ctx)
	if err != nil {
		proc.kill()
		return nil, sdk.Description{}, fmt.Errorf("describe: %w", callError(ctx, err))
	}
	if rc := client.ReattachConfig(); rc != nil {
		proc.pid = rc.Pid
	}
	return proc, desc, nil
}

func (p *Plugin) clientConfig(cmd *exec.Cmd, channel *fdpass.Channel, childEnd *os.File) *plugin.ClientConfig {
	cmd.ExtraFiles = []*os.File{childEnd} // fd 3 in the child
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env,
		fdpass.EnvChannel+"=1",
		plugin.EnvUnixSocketDir+"="+p.host.dir,
		pluginproc.EnvRunDir+"="+p.host.dir,
		pluginproc.EnvLogLevel+"="+levelName(p.host.opts.Logger),
	)
	if n := p.host.opts.Procs; n > 0 && os.Getenv("GOMAXPROCS") == "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(n))
	}
	// Own process group: a terminal's SIGINT reaches only the host. The
	// kernel sends SIGTERM to the child if the host dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	return &plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSet(&wire.GRPCPlugin{ClientChannel: channel}),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           p.host.opts.Logger.Named(p.spec.Name),
		StartTimeout:     p.host.opts.StartTimeout,
	}
}

func (p *Plugin) command() (*exec.Cmd, error) {
	if p.spec.Path == "" {
		name := p.spec.Builtin
		if name == "" {
			name = p.spec.Name
		}
		return p.host.opts.Builtin(name)
	}
	return newCommand(p.spec.Path, p.spec.Args)
}

func dispense(client *plugin.Client) (*wire.Client, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(wire.PluginName)
	if err != nil {
		return nil, err
	}
	phase, ok := raw.(*wire.Client)
	if !ok {
		return nil, fmt.Errorf("plugin dispensed a %T, not a phase", raw)
	}
	return phase, nil
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
	proc, err := p.live(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.host.opts.StartTimeout)
	defer cancel()
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
// or broke protocol); the next Run restarts a crashed plugin.
func (p *Plugin) Run(ctx context.Context, call wire.Call) (wire.Reply, error) {
	proc, err := p.live(ctx)
	if err != nil {
		return wire.Reply{}, err
	}
	reply, err := proc.phase.Run(ctx, call)
	if status.Code(err) == codes.Unavailable && awaitExit(proc, exitGrace) {
		return reply, fmt.Errorf("plugin %q (pid %d) exited: %w", p.spec.Name, proc.pid, err)
	}
	return reply, err
}

// exitGrace is how long a failed call waits for go-plugin to notice that the
// process died: the RPC socket breaks a moment before the exit is reaped.
const exitGrace = time.Second

// awaitExit reports whether proc has exited, waiting up to d for it.
func awaitExit(proc *process, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !proc.exited() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// live returns the running process, restarting a crashed one.
func (p *Plugin) live(ctx context.Context) (*process, error) {
	if proc, err := p.current(); proc != nil || err != nil {
		return proc, err
	}
	select {
	case p.gate <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("plugin %q is restarting: %w", p.spec.Name, ctx.Err())
	}
	defer func() { <-p.gate }()
	if proc, err := p.current(); proc != nil || err != nil {
		return proc, err // another caller restarted it meanwhile
	}
	return p.restart(ctx)
}

// current returns the process if it is alive, an error if the plugin cannot
// be used, or neither when it needs a restart.
func (p *Plugin) current() (*process, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return nil, fmt.Errorf("plugin %q is stopped", p.spec.Name)
	case p.broken != nil:
		return nil, p.broken
	case p.proc == nil:
		return nil, fmt.Errorf("plugin %q is not running", p.spec.Name)
	case !p.proc.exited():
		return p.proc, nil
	case p.restarts >= p.host.opts.MaxRestarts:
		return nil, fmt.Errorf("plugin %q exited and was restarted %d times already; giving up", p.spec.Name, p.restarts)
	}
	return nil, nil
}

// restart replaces the exited process and re-sends its config. p.gate is held.
func (p *Plugin) restart(ctx context.Context) (*process, error) {
	p.mu.Lock()
	old, config := p.proc, p.config
	p.restarts++
	p.mu.Unlock()
	p.host.opts.Logger.Warn("restarting plugin after it exited", "plugin", p.spec.Name, "pid", old.pid, "restart", p.Restarts())
	old.kill()
	proc, _, err := p.launch(ctx)
	if err == nil && config != nil {
		err = p.reconfigure(ctx, proc, config)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.broken = fmt.Errorf("plugin %q exited and could not be restarted: %w", p.spec.Name, err)
		return nil, p.broken
	}
	if p.closed {
		proc.kill()
		return nil, fmt.Errorf("plugin %q is stopped", p.spec.Name)
	}
	p.proc = proc
	return proc, nil
}

func (p *Plugin) reconfigure(ctx context.Context, proc *process, config []byte) error {
	ctx, cancel := context.WithTimeout(ctx, p.host.opts.StartTimeout)
	defer cancel()
	problems, err := proc.phase.Configure(ctx, p.spec.Name, config)
	if err == nil && len(problems) > 0 {
		err = errors.New(problems[0].Error())
	}
	if err != nil {
		proc.kill()
		return fmt.Errorf("reconfiguring: %w", callError(ctx, err))
	}
	return nil
}

// stop kills the process; the plugin is never restarted after it.
func (p *Plugin) stop() {
	p.mu.Lock()
	proc := p.proc
	p.closed = true
	p.mu.Unlock()
	if proc != nil {
		proc.kill()
	}
}

func levelName(l hclog.Logger) string {
	return l.GetLevel().String()
}
