//go:build linux

package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/probe-net/probe/internal/safetext"
)

// Environment variables that shape the log.
const (
	envLog       = "PROBE_LOG"        // trace, debug, info, warn (default), error, off
	envLogFormat = "PROBE_LOG_FORMAT" // text (default) or json
)

// logLevels are the values PROBE_LOG takes (hclog's level names).
var logLevels = []string{"trace", "debug", "info", "warn", "error", "off"}

// logger logs to stderr at the level from -v or PROBE_LOG (default warn),
// as text or, with PROBE_LOG_FORMAT=json, as one JSON object a line. The
// plugins' log lines are re-emitted through it. An unknown PROBE_LOG or
// PROBE_LOG_FORMAT value is warned about once and the default used. The
// text form escapes messages and values (safetext): plugins' messages,
// host names and server answers cannot drive the terminal or forge lines.
//
// The logger is built on first use; commands call this from one goroutine
// before starting others (serve sets g.log itself).
func (g *globals) logger() hclog.Logger {
	if g.log == nil {
		g.log = g.newLogger()
	}
	return g.log
}

func (g *globals) newLogger() hclog.Logger {
	level := hclog.Warn
	if env := os.Getenv(envLog); env != "" {
		if l := hclog.LevelFromString(env); l != hclog.NoLevel {
			level = l
		} else {
			fmt.Fprintf(g.stderr, "probe: %s=%s is not a log level (%s); using warn\n",
				envLog, safetext.Quote(env), strings.Join(logLevels, ", "))
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
	switch format := os.Getenv(envLogFormat); format {
	case "json":
		// JSON keeps values exact; its encoder escapes control characters.
		opts.JSONFormat, opts.Output = true, g.rawStderr
		return hclog.New(opts)
	case "", "text":
	default:
		fmt.Fprintf(g.stderr, "probe: %s=%s is not a log format (text, json); using text\n",
			envLogFormat, safetext.Quote(format))
	}
	return escapingLogger{hclog.New(opts)}
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

// escapingLogger escapes the message, names and values of every entry
// before the text logger formats them, so that each entry stays one line
// of printable text. Loggers it derives (Named, With) escape too.
type escapingLogger struct{ hclog.Logger }

func (l escapingLogger) Log(level hclog.Level, msg string, args ...any) {
	l.Logger.Log(level, safetext.Escape(msg), escapeArgs(args)...)
}

func (l escapingLogger) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l escapingLogger) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l escapingLogger) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l escapingLogger) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l escapingLogger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l escapingLogger) With(args ...any) hclog.Logger {
	return escapingLogger{l.Logger.With(escapeArgs(args)...)}
}

func (l escapingLogger) Named(name string) hclog.Logger {
	return escapingLogger{l.Logger.Named(safetext.Escape(name))}
}

func (l escapingLogger) ResetNamed(name string) hclog.Logger {
	return escapingLogger{l.Logger.ResetNamed(safetext.Escape(name))}
}

// escapeArgs escapes the text of keys and values: strings, errors and
// Stringers. Numbers, booleans and durations are left as they are.
func escapeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = safetext.Escape(v)
		case error:
			out[i] = safetext.Escape(v.Error())
		case fmt.Stringer:
			out[i] = safetext.Escape(v.String())
		default:
			out[i] = a
		}
	}
	return out
}
