//go:build linux

// Package cli implements the probe command line: argument parsing, exit
// codes and wiring config → plan → run → stats → output. main is one call.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/plugins"
	"github.com/probe-net/probe/plugins/registry"
	"github.com/probe-net/probe/sdk/server"
)

// Exit codes.
const (
	ExitOK          = 0   // every probe succeeded
	ExitProbeFailed = 1   // at least one probe failed
	ExitUsage       = 2   // bad flags, arguments or targets file
	ExitRuntime     = 3   // probe itself could not run: a plugin did not start, an I/O error
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM
)

// Version is the probe version, set at build time with -ldflags.
var Version = "0.1.0-dev"

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func exit(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) >= 1 && args[0] == pluginhost.BuiltinArg {
		return servePlugin(args[1:], stderr)
	}
	root := newRoot(stdout, stderr)
	root.SetArgs(singleDashFlags(args))
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(stderr, "probe:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintf(stderr, "probe: %v\nRun '%s --help' for usage.\n", err, helpPath(root, args))
	return ExitUsage
}

// helpPath names the command whose help fits the failed arguments:
// "probe run" for a bad flag to run, "probe" otherwise.
func helpPath(root *cobra.Command, args []string) string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return root.Name()
	}
	return cmd.CommandPath()
}

// servePlugin is the hidden entry point of a built-in plugin process.
func servePlugin(args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "usage: probe %s NAME (started by probe itself)\n", pluginhost.BuiltinArg)
		return ExitUsage
	}
	phase, ok := plugins.Builtin(args[0])
	if !ok {
		fmt.Fprintf(stderr, "probe: no built-in plugin %q (built-ins: %s)\n", args[0], strings.Join(registry.Names(), ", "))
		return ExitUsage
	}
	server.Serve(phase)
	return ExitOK
}

type globals struct {
	stdout, stderr io.Writer
	verbose        int
	color          bool // stderr/stdout is a terminal and NO_COLOR is unset
	// log, when set, is the logger every part of the command uses (serve
	// builds it from --log.level and --log.format).
	log hclog.Logger
	// foreverRestarts replaces crashed plugins without limit, with backoff
	// (serve runs for months; a one-shot run gives up after a few).
	foreverRestarts bool
}

// hostOptions are the plugin host options for this command.
func (g *globals) hostOptions() pluginhost.Options {
	return pluginhost.Options{Logger: g.logger(), Unlimited: g.foreverRestarts}
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr, color: colorful(stdout)}
	root := &cobra.Command{
		Use:   "probe",
		Short: "Measure DNS, TCP, TLS and HTTP phases per target, with each phase a plugin",
		Long: `probe measures how long each phase of a connection takes — DNS resolution,
TCP connect, TLS handshake, the first HTTP round trip — for every target in a
targets file, and prints per-phase statistics.

Each phase runs in its own plugin process; one real connection travels the
chain. Any phase can be replaced from the targets file.

Environment:
  PRECONNECT_HOSTS  extra targets, "host:port:proto,..." ([::1]:443:https for IPv6)
  PROBE_VAR_<name>  value of a variable declared in the targets file
  PROBE_LOG         log level: trace, debug, info, warn (default), error
  NO_COLOR          never use colour

Exit status:
  0 every probe succeeded, 1 some probe failed, 2 bad usage, targets file or
  plugin config, 3 probe could not run (a plugin did not start), 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().CountVarP(&g.verbose, "verbose", "v", "log more (-v debug, -vv trace); PROBE_LOG=debug does the same")
	root.AddCommand(
		newRunCmd(g), newPreconnectCmd(g), newWarmupCmd(g), newStatusCmd(g), newTestCmd(g),
		newValidateCmd(g), newFmtCmd(g), newPluginsCmd(g), newServeCmd(g), newVersionCmd(g),
	)
	return root
}

// logger logs to stderr at the level from -v or PROBE_LOG (default warn).
func (g *globals) logger() hclog.Logger {
	if g.log != nil {
		return g.log
	}
	level := hclog.Warn
	if env := os.Getenv("PROBE_LOG"); env != "" {
		level = hclog.LevelFromString(env)
		if level == hclog.NoLevel {
			level = hclog.Warn
		}
	}
	switch {
	case g.verbose >= 2:
		level = hclog.Trace
	case g.verbose == 1 && level > hclog.Debug:
		level = hclog.Debug
	}
	opts := &hclog.LoggerOptions{Name: "probe", Level: level, Output: g.stderr}
	if level > hclog.Trace {
		opts.Exclude = pluginPlumbing().Exclude
	}
	return hclog.New(opts)
}

// pluginPlumbing excludes go-plugin's own messages about its connection to
// a plugin: noise at debug level (one of them reads like an error on every
// normal exit), kept at trace (-vv).
func pluginPlumbing() *hclog.ExcludeByMessage {
	var ex hclog.ExcludeByMessage
	for _, msg := range []string{
		"waiting for RPC address", "using plugin", "plugin address",
		"received EOF, stopping recv loop", "plugin exited",
	} {
		ex.Add(msg)
	}
	return &ex
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the probe version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(g.stdout, "probe %s (plugin protocol %d)\n", Version, pluginProtocol)
			return nil
		},
	}
}

// singleDashFlags accepts "probe fmt -check" for "--check", the spelling
// fmt tools such as terraform and gofmt use, which pflag would read as
// -c -h -e -c -k. Other commands' arguments are left alone.
func singleDashFlags(args []string) []string {
	out := append([]string(nil), args...)
	if len(out) == 0 || out[0] != "fmt" {
		return out
	}
	for i, a := range out {
		if a == "--" {
			break
		}
		if a == "-check" {
			out[i] = "--check"
		}
	}
	return out
}
