//go:build linux

// Package cli implements the probe command line: argument parsing, exit
// codes and wiring config → plan → run → stats → output. main is one call.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/internal/safetext"
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

// maxMessage bounds an error message in characters: values quoted in it
// (a host, a flag's value) are shortened where it is made, and this catches
// any that are not.
const maxMessage = 2000

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
	// Messages quote what was given (a host, a flag's value): escaped, so
	// that they cannot drive the terminal.
	safeErr := safetext.NewWriter(stderr)
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(safeErr, "probe:", safetext.EscapeLines(safetext.Shorten(ee.err.Error(), maxMessage)))
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintf(safeErr, "probe: %s\nRun '%s --help' for usage.\n", safetext.EscapeLines(safetext.Shorten(err.Error(), maxMessage)), helpPath(root, args))
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

// globals are what every command shares: the output streams, the
// verbosity and the colour decisions.
type globals struct {
	// stdout and stderr escape what is written to them (safetext.Writer):
	// everything for people goes through them. JSON stays valid and exact.
	stdout, stderr io.Writer
	// rawStdout and rawStderr are the streams themselves: for byte-exact
	// output (fmt -), the progress bar and terminal checks.
	rawStdout, rawStderr io.Writer
	verbose              int
	noColor              bool // --no-color
	// color and colorErr say whether stdout and stderr may use colour,
	// each decided by its own stream (colorful); set once flags are parsed.
	color, colorErr bool

	// log is the logger every part of the command uses: built from -v and
	// PROBE_LOG on first use, or set by serve from --log.level and
	// --log.format.
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
	g := &globals{
		stdout: safetext.NewWriter(stdout), stderr: safetext.NewWriter(stderr),
		rawStdout: stdout, rawStderr: stderr,
	}
	root := &cobra.Command{
		Use:   "probe",
		Short: "Measure DNS, TCP, TLS and HTTP phases per target, with each phase a plugin",
		Long: `probe measures how long each phase of a connection takes — DNS resolution,
TCP connect, TLS handshake, the first HTTP round trip — for every target in a
targets file, and prints per-phase statistics.

Each phase runs in its own plugin process; one real connection travels the
chain. Any phase can be replaced from the targets file.

Environment:
  PRECONNECT_HOSTS  extra targets, "host:port:proto,..." ([::1]:443:https for IPv6);
                    probe serve ignores it
  PROBE_VAR_<name>  value of a variable declared in the targets file
  PROBE_LOG         log level: trace, debug, info, warn (default), error, off
  PROBE_LOG_FORMAT  log format: text (default) or json (one object a line)
  NO_COLOR          never use colour (nor does TERM=dumb or --no-color)

Shell completion: probe completion bash|zsh|fish|powershell --help.

Exit status:
  0 every probe succeeded, 1 some probe failed, 2 bad usage, targets file or
  plugin config, 3 probe could not run (a plugin did not start), 130 interrupted
  (probe serve exits 0 on SIGINT or SIGTERM: that is how a daemon stops).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetVersionTemplate(versionLine())
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().CountVarP(&g.verbose, "verbose", "v", "log more (-v debug, -vv trace); PROBE_LOG=debug does the same")
	root.PersistentFlags().BoolVar(&g.noColor, "no-color", false, "never use colour (as NO_COLOR=1 or TERM=dumb)")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		g.color = colorful(g.rawStdout, g.noColor)
		g.colorErr = colorful(g.rawStderr, g.noColor)
	}
	root.AddCommand(
		newRunCmd(g), newPreconnectCmd(g), newWarmupCmd(g), newStatusCmd(g), newTestCmd(g),
		newValidateCmd(g), newFmtCmd(g), newPluginsCmd(g), newServeCmd(g), newVersionCmd(g),
	)
	return root
}

// versionLine is what `probe version` and `probe --version` print.
func versionLine() string {
	return fmt.Sprintf("probe %s (plugin protocol %d)\n", Version, pluginProtocol)
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the probe version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(g.stdout, versionLine())
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
