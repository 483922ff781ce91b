//go:build linux

package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/pluginproc"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// StopGrace is how long a plugin asked to exit may take before its process
// group is killed; ReapGrace how long the host then waits for go-plugin to
// notice. Stopping one plugin takes at most their sum, whatever it does.
const (
	StopGrace = time.Second
	ReapGrace = time.Second
)

// process is one incarnation of a plugin.
type process struct {
	client  *plugin.Client
	channel *fdpass.Channel
	phase   *wire.Client
	pid     int                // set before the process is shared; 0 if it never started
	end     context.CancelFunc // kills the process group while its leader is unreaped
	logger  hclog.Logger

	hung     atomic.Bool // declared hung: treated as dead and killed
	checking atomic.Bool // a liveness check is under way
	stopOnce sync.Once
}

// dead reports whether the process exited (as go-plugin saw it) or was
// declared hung.
func (pr *process) dead() bool { return pr.hung.Load() || pr.client.Exited() }

// fate says what happened to a dead process, for messages.
func (pr *process) fate() string {
	if pr.hung.Load() {
		return "stopped answering and was killed"
	}
	return "exited"
}

// killGroup kills the process's whole group: the plugin and whatever it
// forked. Through end, while the leader is unreaped, it cannot hit a
// reused pid; the direct kill afterwards catches members left behind by a
// leader that already exited (its pgid stays reserved while they live).
func (pr *process) killGroup() {
	pr.end()
	if pr.pid > 0 {
		_ = syscall.Kill(-pr.pid, syscall.SIGKILL)
	}
}

// stop ends the process within StopGrace+ReapGrace. With ask it first asks
// the plugin to exit (go-plugin's Kill: a Shutdown RPC, a wait, a kill);
// without, as for a hung plugin, it kills at once. Either way the process
// group is killed afterwards, so nothing the plugin forked survives it.
// Concurrent calls wait for the first.
func (pr *process) stop(ask bool) {
	pr.stopOnce.Do(func() {
		if pr.phase != nil {
			pr.phase.Close() // its calls stream
		}
		if !ask {
			pr.killGroup()
		}
		done := make(chan struct{})
		go func() {
			pr.client.Kill()
			close(done)
		}()
		if !waitFor(done, StopGrace) {
			pr.logger.Warn("plugin did not exit when asked; killing its process group", "pid", pr.pid)
		}
		pr.killGroup()
		if !waitFor(done, ReapGrace) {
			// Something outside the group holds the plugin's output
			// pipes (a descendant that called setsid): go on without it.
			pr.logger.Warn("plugin's output pipes are still open after it was killed; not waiting", "pid", pr.pid)
		}
		pr.channel.Close()
	})
}

func waitFor(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// gone reports whether pid has exited (a zombie or no longer there): the
// kernel's view, which go-plugin's reaping follows a moment later.
func gone(pid int) bool {
	if pid <= 0 {
		return false
	}
	s := processState(pid)
	return s == "" || s == "Z" || s == "X"
}

// processState returns the state letter of /proc/PID/stat ("R", "S", "T",
// "Z" ...), or "" when there is no such process.
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return ""
	}
	return string(b[i+2])
}

// launch starts a process and asks it to describe itself. It ends within
// the host's StartTimeout, or sooner when ctx ends or the host closes;
// whatever it started is then killed, process group and all.
func (p *Plugin) launch(ctx context.Context) (*process, sdk.Description, error) {
	ctx, cancel := context.WithTimeout(ctx, p.host.opts.StartTimeout)
	defer cancel()
	defer context.AfterFunc(p.host.ctx, cancel)()
	base, err := p.command()
	if err != nil {
		return nil, sdk.Description{}, err
	}
	channel, childEnd, err := fdpass.Pair()
	if err != nil {
		return nil, sdk.Description{}, err
	}
	life, end := context.WithCancel(context.Background())
	cmd := groupCommand(life, base)
	cfg, err := p.clientConfig(cmd, channel, childEnd)
	if err != nil {
		end()
		childEnd.Close()
		channel.Close()
		return nil, sdk.Description{}, err
	}
	proc := &process{client: plugin.NewClient(cfg), channel: channel, end: end,
		logger: p.host.opts.Logger.Named(p.spec.Name)}
	desc, err := p.connect(ctx, proc, cmd, childEnd)
	if err != nil {
		proc.stop(false)
		return nil, sdk.Description{}, err
	}
	return proc, desc, nil
}

// connect waits for the process's handshake and Describe answer, within ctx.
func (p *Plugin) connect(ctx context.Context, proc *process, cmd *exec.Cmd, childEnd *os.File) (sdk.Description, error) {
	type result struct {
		phase *wire.Client
		pid   int
		err   error
	}
	done := make(chan result, 1)
	go func() {
		phase, err := dispense(proc.client)
		childEnd.Close() // the child has its copy once the start is over
		pid := 0
		if cmd.Process != nil {
			pid = cmd.Process.Pid
		}
		done <- result{phase, pid, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		proc.killGroup() // ends the handshake wait: the plugin's stdout closes
		return sdk.Description{}, startError(ctx, p.host.opts.StartTimeout, nil)
	}
	proc.pid = r.pid
	if r.err != nil {
		if errors.Is(r.err, plugin.ErrChecksumsDoNotMatch) {
			return sdk.Description{}, p.pinError()
		}
		return sdk.Description{}, startError(ctx, p.host.opts.StartTimeout, r.err)
	}
	proc.phase = r.phase
	privateSocket(proc.client)
	desc, err := r.phase.Describe(ctx)
	if err != nil {
		return sdk.Description{}, fmt.Errorf("describe: %w", callError(ctx, err))
	}
	r.phase.Open() // the Calls stream, while the host configures the plugin
	return desc, nil
}

// startError says why a start failed: err, or ctx's end (the deadline is
// timeout).
func startError(ctx context.Context, timeout time.Duration, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("the plugin did not finish starting within %s (it must print go-plugin's handshake line on stdout)", timeout)
	case ctx.Err() != nil:
		return fmt.Errorf("start interrupted: %w", ctx.Err())
	}
	return err
}

// privateSocket makes the plugin's unix socket 0600. Its directory is
// already 0700; this keeps the socket private if the directory is ever
// shared.
func privateSocket(client *plugin.Client) {
	rc := client.ReattachConfig()
	if rc == nil || rc.Addr == nil || rc.Addr.Network() != "unix" {
		return
	}
	_ = os.Chmod(rc.Addr.String(), 0o600)
}

// groupCommand returns base as a command of its own process group that is
// killed, group and all, when life ends (while its leader is unreaped).
func groupCommand(life context.Context, base *exec.Cmd) *exec.Cmd {
	cmd := exec.CommandContext(life, base.Path)
	cmd.Args, cmd.Env, cmd.Dir, cmd.Err = base.Args, base.Env, base.Dir, base.Err
	// Own process group: a terminal's SIGINT reaches only the host. The
	// kernel sends SIGTERM to the child if the host dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return os.ErrProcessDone // ESRCH: the group is gone already
		}
		return nil
	}
	return cmd
}

func (p *Plugin) clientConfig(cmd *exec.Cmd, channel *fdpass.Channel, childEnd *os.File) (*plugin.ClientConfig, error) {
	cmd.ExtraFiles = []*os.File{childEnd} // fd 3 in the child
	cmd.Env = p.environment(cmd.Env)
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSet(&wire.GRPCPlugin{ClientChannel: channel}),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           quietExits{p.host.opts.Logger.Named(p.spec.Name)},
		// A backstop only: the start's context (StartTimeout) ends first
		// and says so with the bound, which go-plugin's message does not.
		StartTimeout: p.host.opts.StartTimeout + time.Second,
	}
	if p.spec.SHA256 != "" {
		sum, err := hex.DecodeString(p.spec.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("sha256 = %q is not a SHA-256 digest (64 hexadecimal digits)", p.spec.SHA256)
		}
		cfg.SecureConfig = &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}
	}
	return cfg, nil
}

// pinError names the pinned file and both digests.
func (p *Plugin) pinError() error {
	path := p.spec.Path
	if path == "" {
		if cmd, err := p.command(); err == nil {
			path = cmd.Path
		}
	}
	actual, err := fileSHA256(path)
	if err != nil {
		return fmt.Errorf("%s does not match its pinned sha256 %s (%v); refusing to start it", path, strings.ToLower(p.spec.SHA256), err)
	}
	return fmt.Errorf("%s has SHA-256 %s, but sha256 pins %s; refusing to start it", path, actual, strings.ToLower(p.spec.SHA256))
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// BaseEnv names the variables of the host's environment that every plugin
// receives when they are set, and LC_* too: what a program needs to find
// executables, a home, a temporary directory, its locale, time zone and the
// system's CA certificates. Anything else (credentials, tokens, proxies)
// reaches a plugin only through its Spec's Env or PassEnv.
var BaseEnv = []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE", "SSL_CERT_FILE", "SSL_CERT_DIR"}

// Reserved reports whether name is set by the host or by go-plugin for the
// plugin protocol: every name beginning with PLUGIN_ or PROBE_. A Spec
// cannot set or pass one (config.ReservedEnv reports them in a targets
// file).
func Reserved(name string) bool {
	return strings.HasPrefix(name, "PLUGIN_") || strings.HasPrefix(name, "PROBE_")
}

// environment builds a plugin's environment: BaseEnv from the host's, then
// extra (the command's own), PassEnv, Env, and last the protocol's
// variables, which win over anything before them. go-plugin adds its own
// (the magic cookie, PLUGIN_MIN_PORT, PLUGIN_MAX_PORT,
// PLUGIN_PROTOCOL_VERSIONS) when it starts the process.
func (p *Plugin) environment(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if isBase(name) {
			env = append(env, kv)
		}
	}
	env = append(env, runtimeEnv(p.host.opts)...)
	env = append(env, extra...) // later entries win: these override the defaults
	for _, name := range p.spec.PassEnv {
		if v, ok := os.LookupEnv(name); ok && !Reserved(name) {
			env = append(env, name+"="+v)
		}
	}
	for name, v := range p.spec.Env {
		if !Reserved(name) {
			env = append(env, name+"="+v)
		}
	}
	return append(env,
		fdpass.EnvChannel+"=1",
		plugin.EnvUnixSocketDir+"="+p.host.dir,
		pluginproc.EnvRunDir+"="+p.host.dir,
		pluginproc.EnvLogLevel+"="+p.host.opts.Logger.GetLevel().String(),
	)
}

// runtimeEnv is the Go runtime settings of a plugin process: the host's
// own GOMAXPROCS, GOGC and GOMEMLIMIT if it has them, else Options.Procs,
// PluginGOGC and PluginMemLimit.
func runtimeEnv(o Options) []string {
	var env []string
	if v, ok := os.LookupEnv("GOMAXPROCS"); ok {
		env = append(env, "GOMAXPROCS="+v)
	} else if o.Procs > 0 {
		env = append(env, "GOMAXPROCS="+strconv.Itoa(o.Procs))
	}
	if v, ok := os.LookupEnv("GOGC"); ok {
		env = append(env, "GOGC="+v)
	} else {
		env = append(env, "GOGC="+strconv.Itoa(PluginGOGC))
	}
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		env = append(env, "GOMEMLIMIT="+v)
	} else {
		env = append(env, "GOMEMLIMIT="+PluginMemLimit)
	}
	return env
}

func isBase(name string) bool {
	if strings.HasPrefix(name, "LC_") {
		return true
	}
	for _, b := range BaseEnv {
		if name == b {
			return true
		}
	}
	return false
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

// relayedConn is a connection handed back by a plugin as a unix socket: a
// bridge (a TLS session, say) that the plugin process keeps pumping. If
// that process dies, the connection breaks for the next phase, whose
// failure is then the relaying plugin's.
type relayedConn struct {
	net.Conn // a *net.UnixConn or an *fdpass.Socket
	plugin   string
	proc     *process
}

// SyscallConn gives the socket's descriptor, so the connection can be
// handed on to the next plugin.
func (c *relayedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("a relayed %T has no descriptor", c.Conn)
	}
	return sc.SyscallConn()
}

// relayGrace is how long RelayError waits for a relaying process seen
// alive to turn out dead: its sockets close a moment (microseconds) before
// the kernel marks it exited.
const relayGrace = 20 * time.Millisecond

// RelayError reports why the process relaying this connection can no
// longer carry it (it exited, was killed as hung, or is stopped), or nil.
// Call it when a phase on this connection failed.
func (c *relayedConn) RelayError() error {
	deadline := time.Now().Add(relayGrace)
	for {
		switch {
		case c.proc.dead() || gone(c.proc.pid):
			return fmt.Errorf("plugin %q (pid %d), which relayed this connection, %s", c.plugin, c.proc.pid, c.proc.fate())
		case processState(c.proc.pid) == "T":
			return fmt.Errorf("plugin %q (pid %d), which relayed this connection, is stopped (SIGSTOP)", c.plugin, c.proc.pid)
		case time.Now().After(deadline):
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// quietExits is go-plugin's logger with one change: a plugin process that
// exited cleanly (status 0: the host stopped it, as at every reload of
// probe serve) is logged at debug, not info; one that failed stays an
// error. go-plugin logs both as "plugin process exited" (client.go).
type quietExits struct{ hclog.Logger }

func (q quietExits) Info(msg string, args ...any) {
	if msg == "plugin process exited" {
		q.Logger.Debug(msg, args...)
		return
	}
	q.Logger.Info(msg, args...)
}
