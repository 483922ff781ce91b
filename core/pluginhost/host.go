//go:build linux

// Package pluginhost starts phase plugins as child processes over
// hashicorp/go-plugin, keeps one long-lived process per plugin for a whole
// run, replaces a plugin that crashed or stopped answering, and makes sure
// no process or socket file outlives the host:
//
//   - each child runs in its own process group (a terminal's Ctrl-C reaches
//     only the host, which then shuts down in order) with Pdeathsig set, so
//     the kernel signals it if the host dies without running Close; the
//     SDK's server then removes its own socket file and exits;
//   - stopping a plugin is bounded: it is asked to exit, and after a short
//     wait its whole process group is killed, so a stopped (SIGSTOP) or
//     forking plugin cannot hold the host, and nothing it forked survives;
//   - a start is bounded by StartTimeout and ends early when its context
//     does; a call by the call's budget plus wire.TimeoutGrace;
//   - a plugin gets a minimal environment (BaseEnv) plus what its Spec
//     passes, never the host's whole environment, and a Spec may pin the
//     executable's SHA-256.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/internal/wire"
)

// BuiltinArg is the hidden first argument with which probe re-executes
// itself to serve a built-in plugin: `probe __plugin dns`.
const BuiltinArg = "__plugin"

// Spec says how to start one plugin.
type Spec struct {
	// Name is the phase the plugin serves, as used in targets' chains.
	Name string
	// Builtin names the built-in plugin serving this phase when Path is
	// empty; empty means Name.
	Builtin string
	// Path is the plugin executable; empty for a built-in.
	Path string
	// Args are extra arguments for Path.
	Args []string
	// Env sets variables in the plugin's environment, on top of BaseEnv
	// and PassEnv. Names that the plugin protocol uses (Reserved) are
	// overridden by the host.
	Env map[string]string
	// PassEnv names variables of the host's environment the plugin also
	// receives; one the host does not have is left out.
	PassEnv []string
	// SHA256 pins the executable (hex, either case): a start whose file
	// has another digest is refused (go-plugin's SecureConfig). Empty: not
	// pinned.
	SHA256 string
	// Where the plugin was declared (file:line:col), for messages; may be
	// empty.
	Where string
}

// Options configure a Host. The zero value is usable.
type Options struct {
	Logger hclog.Logger
	// Builtin returns the command serving the named built-in plugin. The
	// default re-executes this binary with BuiltinArg. The command's Env,
	// if any, is added to the plugin's minimal environment.
	Builtin func(name string) (*exec.Cmd, error)
	// StartTimeout bounds a plugin's start (default 10s; go-plugin's own
	// default of a minute hides a hung plugin for far too long).
	StartTimeout time.Duration
	// MaxRestarts bounds how often one plugin is replaced within any
	// RestartWindow, after it crashed or stopped answering (default 3). A
	// plugin that used its budget fails its calls (kind plugin) until the
	// oldest of those replacements leaves the window, so a long run survives
	// a replacement now and then (a plugin starved of CPU on a loaded
	// machine can look hung) while a plugin that keeps crashing is not
	// restarted in a loop.
	MaxRestarts int
	// RestartWindow is the period MaxRestarts counts over (default 1 minute).
	RestartWindow time.Duration
	// Unlimited replaces a plugin that crashed or hung however often it does (for
	// `probe serve`, which runs for months): MaxRestarts does not apply, and
	// a restart that fails is tried again. Restarts back off: after the
	// n-th in a row, calls fail at once (kind plugin) for RestartBackoff ·
	// 2^(n-1), at most MaxBackoff; a process that lived MaxBackoff ends the
	// row.
	Unlimited bool
	// Procs is the GOMAXPROCS of each plugin process (see ProcsFor); 0
	// leaves Go's default, one per CPU. A GOMAXPROCS in the host's own
	// environment wins over it.
	Procs int
}

// PluginGOGC and PluginMemLimit are the GOGC and GOMEMLIMIT of plugin
// processes, unless the host's own environment sets them (then theirs are
// the same). A plugin keeps almost nothing from one call to the next, so
// its live heap is a few MB and Go's default (GOGC 100) collected every
// ~4 MB allocated: every few dozen TLS handshakes. At 400, CPU per probe
// at concurrency 64 fell 16% (1.95 -> 1.64 ms, BENCHMARKS.md); the soft
// limit keeps a plugin whose live heap grows (256 handshakes in flight)
// collecting as often as before, so memory at 10,000 targets and
// concurrency 256 did not grow (plugins' peak RSS 178 MB with GOGC 100,
// 287 MB with 400 alone, 167 MB with 400 and the limit).
const (
	PluginGOGC     = 400
	PluginMemLimit = "32MiB"
)

// ProcsFor is the GOMAXPROCS a plugin process gets when the run probes
// concurrency targets at a time: 1 for one at a time, else half the CPUs
// (at least 1), since four or more processes (the host and one per phase)
// share them.
//
// Measured on 2 vCPUs (BENCHMARKS.md), one target at a time: with Go's
// default every wake-up of an idle plugin process readied goroutines while
// other Ps sat idle, so the runtime woke spinning threads to steal them:
// 497 system calls (futex, nanosleep, epoll_pwait above all) and 174
// context switches per https probe across the processes, against 133 and
// 49 in one process. One P per plugin cut CPU per probe by 17% and
// context switches by 28%, with no change at concurrency 64.
func ProcsFor(concurrency int) int {
	if concurrency <= 1 {
		return 1
	}
	return max(1, runtime.NumCPU()/2)
}

// Restart backoff with Options.Unlimited.
const (
	RestartBackoff = 100 * time.Millisecond
	MaxBackoff     = 30 * time.Second
)

// Host owns the plugin processes of one run.
type Host struct {
	opts Options
	dir  string
	// ctx ends when Close begins: it stops starts, replacements and
	// liveness checks in progress.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	plugins []*Plugin
	closed  bool
	bg      sync.WaitGroup // replacements and liveness checks under way
}

// New creates a host and its private socket directory.
func New(opts Options) (*Host, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Builtin == nil {
		opts.Builtin = SelfBuiltin
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 10 * time.Second
	}
	if opts.RestartWindow == 0 {
		opts.RestartWindow = time.Minute
	}
	if opts.MaxRestarts == 0 {
		opts.MaxRestarts = 3
	}
	dir, err := os.MkdirTemp("", "probe-run-")
	if err != nil {
		return nil, fmt.Errorf("creating the plugin socket directory: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Host{opts: opts, dir: dir, ctx: ctx, cancel: cancel}, nil
}

// Dir is the per-run directory holding the plugins' unix sockets.
func (h *Host) Dir() string { return h.dir }

// SelfBuiltin serves a built-in plugin by re-executing the running binary.
func SelfBuiltin(name string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("locating the probe binary to serve built-in plugin %q: %w", name, err)
	}
	return exec.Command(self, BuiltinArg, name), nil
}

// Start starts the plugins concurrently and returns them in spec order.
// If any fails to start, the ones that did are left for Close.
func (h *Host) Start(ctx context.Context, specs []Spec) ([]*Plugin, error) {
	go wire.Warm() // while the processes start
	out := make([]*Plugin, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		p := &Plugin{spec: spec, host: h}
		if err := h.track(p); err != nil {
			return nil, err
		}
		out[i] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.start(ctx)
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func (h *Host) track(p *Plugin) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("plugin host is closed")
	}
	h.plugins = append(h.plugins, p)
	return nil
}

// background runs f in a goroutine that Close waits for; it reports false,
// running nothing, once Close has begun.
func (h *Host) background(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		f()
	}()
	return true
}

// Close stops every plugin and removes the socket directory. Each plugin is
// asked to exit, then its process group is killed (see StopGrace), so Close
// returns within a few seconds whatever the plugins do. It is safe to call
// more than once.
func (h *Host) Close() error {
	h.mu.Lock()
	plugins := h.plugins
	h.plugins, h.closed = nil, true
	h.mu.Unlock()
	h.cancel()
	var wg sync.WaitGroup
	for _, p := range plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
	h.bg.Wait() // each step of a replacement or check is bounded
	return os.RemoveAll(h.dir)
}
