//go:build linux

package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/server"
)

// Plugin is one running plugin process (restarted if it crashes).
type Plugin struct {
	spec Spec
	host *Host

	mu       sync.Mutex
	client   *plugin.Client
	channel  *fdpass.Channel
	phase    *wire.Client
	desc     sdk.Description
	pid      int
	config   []byte // last config sent, re-sent after a restart
	restarts int
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

// PID is the process id of the current plugin process.
func (p *Plugin) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// Restarts counts the restarts after a crash.
func (p *Plugin) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

func (p *Plugin) start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.launch(ctx); err != nil {
		return fmt.Errorf("plugin %q: %w", p.spec.Name, err)
	}
	return nil
}

// launch starts the process and asks it to describe itself. p.mu is held.
func (p *Plugin) launch(ctx context.Context) error {
	cmd, err := p.command()
	if err != nil {
		return err
	}
	channel, childEnd, err := fdpass.Pair()
	if err != nil {
		return err
	}
	cmd.ExtraFiles = []*os.File{childEnd} // fd 3 in the child
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env,
		fdpass.EnvChannel+"=1",
		plugin.EnvUnixSocketDir+"="+p.host.dir,
		server.EnvRunDir+"="+p.host.dir,
		server.EnvLogLevel+"="+levelName(p.host.opts.Logger),
	)
	// Own process group: a terminal's SIGINT reaches only the host. The
	// kernel sends SIGTERM to the child if the host dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSet(&wire.GRPCPlugin{ClientChannel: channel}),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           p.host.opts.Logger.Named(p.spec.Name),
		StartTimeout:     p.host.opts.StartTimeout,
	})
	phase, err := dispense(client)
	childEnd.Close()
	if err != nil {
		client.Kill()
		channel.Close()
		return err
	}
	desc, err := phase.Describe(ctx)
	if err != nil {
		client.Kill()
		channel.Close()
		return fmt.Errorf("describe: %w", err)
	}
	p.client, p.channel, p.phase, p.desc = client, channel, phase, desc
	if rc := client.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
	}
	return nil
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

// Configure sends the plugin its config (a JSON object) and keeps it for
// restarts. Problems are what the plugin rejected; err is a failed call.
func (p *Plugin) Configure(ctx context.Context, configJSON []byte) ([]*sdk.AttributeError, error) {
	phase, err := p.live(ctx)
	if err != nil {
		return nil, err
	}
	problems, err := phase.Configure(ctx, configJSON)
	if err == nil && len(problems) == 0 {
		p.mu.Lock()
		p.config = configJSON
		p.mu.Unlock()
	}
	return problems, err
}

// Run runs the phase once. An error means the plugin failed (crashed, hung
// or broke protocol); the next Run restarts a crashed plugin.
func (p *Plugin) Run(ctx context.Context, call wire.Call) (wire.Reply, error) {
	phase, err := p.live(ctx)
	if err != nil {
		return wire.Reply{}, err
	}
	reply, err := phase.Run(ctx, call)
	if status.Code(err) == codes.Unavailable && p.awaitExit(exitGrace) {
		return reply, fmt.Errorf("plugin %q (pid %d) exited: %w", p.spec.Name, p.PID(), err)
	}
	return reply, err
}

// exitGrace is how long a failed call waits for go-plugin to notice that the
// process died: the RPC socket breaks a moment before the exit is reaped.
const exitGrace = time.Second

// awaitExit reports whether the process has exited, waiting up to d for it.
func (p *Plugin) awaitExit(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		p.mu.Lock()
		exited := p.client != nil && p.client.Exited()
		p.mu.Unlock()
		if exited || time.Now().After(deadline) {
			return exited
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// live returns a client to a running process, restarting a crashed one.
func (p *Plugin) live(ctx context.Context) (*wire.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return nil, fmt.Errorf("plugin %q is not running", p.spec.Name)
	}
	if !p.client.Exited() {
		return p.phase, nil
	}
	if p.restarts >= p.host.opts.MaxRestarts {
		return nil, fmt.Errorf("plugin %q exited and was restarted %d times already; giving up", p.spec.Name, p.restarts)
	}
	p.restarts++
	p.host.opts.Logger.Warn("restarting plugin after it exited", "plugin", p.spec.Name, "pid", p.pid, "restart", p.restarts)
	p.channel.Close()
	if err := p.launch(ctx); err != nil {
		return nil, fmt.Errorf("restarting plugin %q: %w", p.spec.Name, err)
	}
	if p.config != nil {
		problems, err := p.phase.Configure(ctx, p.config)
		if err == nil && len(problems) > 0 {
			err = errors.New(problems[0].Error())
		}
		if err != nil {
			return nil, fmt.Errorf("reconfiguring plugin %q after restart: %w", p.spec.Name, err)
		}
	}
	return p.phase, nil
}

func (p *Plugin) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		p.client.Kill()
	}
	if p.channel != nil {
		p.channel.Close()
	}
}

func levelName(l hclog.Logger) string {
	return l.GetLevel().String()
}
