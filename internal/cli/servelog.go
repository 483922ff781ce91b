//go:build linux

package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/common/promslog"
)

// serveLogger builds serve's logger from --log.level and --log.format the
// way Prometheus' own servers do (prometheus/common/promslog): the same
// accepted values (promslog.LevelFlagOptions, promslog.FormatFlagOptions),
// log/slog's logfmt or JSON handler, and the keys time, level and msg.
// Unlike promslog.New it adds no source position: every entry would name
// the bridge below rather than its caller. What a logger named with
// hclog's Named says of itself goes under component.
//
// Plugins and the plugin host log through hclog, so the result is an
// hclog.Logger that writes each entry through the slog handler: one log,
// one format. Both handlers quote or escape control characters, so an
// entry stays one line of printable text whatever a plugin or server sent.
func serveLogger(level, format string, w io.Writer) (*slogLogger, error) {
	lvl := promslog.NewLevel()
	if err := lvl.Set(level); err != nil {
		return nil, fmt.Errorf("--log.level must be one of %s, not %q", strings.Join(promslog.LevelFlagOptions, ", "), level)
	}
	if !slices.Contains(promslog.FormatFlagOptions, format) {
		return nil, fmt.Errorf("--log.format must be one of %s, not %q", strings.Join(promslog.FormatFlagOptions, ", "), format)
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: durationsAsText}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return &slogLogger{base: h, h: h, level: lvl, exclude: pluginPlumbing()}, nil
}

// durationsAsText writes durations as Go durations ("1.5s"), as promslog
// does.
func durationsAsText(_ []string, a slog.Attr) slog.Attr {
	if d, ok := a.Value.Any().(time.Duration); ok {
		a.Value = slog.StringValue(d.String())
	}
	return a
}

// slogLogger is an hclog.Logger that writes through a log/slog handler.
// hclog's trace level is below slog's debug, the lowest --log.level, so
// trace entries are dropped.
type slogLogger struct {
	base    slog.Handler // the handler serveLogger made
	h       slog.Handler // base with component=name and the implied arguments
	level   *promslog.Level
	exclude *hclog.ExcludeByMessage
	name    string
	implied []any
}

var _ hclog.Logger = (*slogLogger)(nil)

// Slog returns a log/slog logger writing to the same handler.
func (l *slogLogger) Slog() *slog.Logger { return slog.New(l.h) }

// slogLevel maps hclog's levels onto slog's.
func slogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (l *slogLogger) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off || l.exclude.Exclude(level, msg, args...) {
		return
	}
	sl := slogLevel(level)
	ctx := context.Background()
	if !l.h.Enabled(ctx, sl) {
		return
	}
	r := slog.NewRecord(time.Now(), sl, msg, 0)
	r.Add(args...)
	_ = l.h.Handle(ctx, r)
}

func (l *slogLogger) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l *slogLogger) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l *slogLogger) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l *slogLogger) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l *slogLogger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l *slogLogger) enabled(level hclog.Level) bool {
	return l.h.Enabled(context.Background(), slogLevel(level))
}

func (l *slogLogger) IsTrace() bool { return l.enabled(hclog.Trace) }
func (l *slogLogger) IsDebug() bool { return l.enabled(hclog.Debug) }
func (l *slogLogger) IsInfo() bool  { return l.enabled(hclog.Info) }
func (l *slogLogger) IsWarn() bool  { return l.enabled(hclog.Warn) }
func (l *slogLogger) IsError() bool { return l.enabled(hclog.Error) }

func (l *slogLogger) ImpliedArgs() []any { return slices.Clone(l.implied) }

func (l *slogLogger) With(args ...any) hclog.Logger {
	out := *l
	out.implied = append(slices.Clone(l.implied), args...)
	return out.rebuild()
}

func (l *slogLogger) Name() string { return l.name }

func (l *slogLogger) Named(name string) hclog.Logger {
	if l.name != "" {
		name = l.name + "." + name
	}
	return l.ResetNamed(name)
}

// ResetNamed names the logger: its entries carry component=name.
func (l *slogLogger) ResetNamed(name string) hclog.Logger {
	out := *l
	out.name = name
	return out.rebuild()
}

// rebuild derives h from base, the name and the implied arguments.
func (l *slogLogger) rebuild() *slogLogger {
	h := l.base
	if l.name != "" {
		h = h.WithAttrs([]slog.Attr{slog.String("component", l.name)})
	}
	if len(l.implied) > 0 {
		r := slog.NewRecord(time.Time{}, 0, "", 0)
		r.Add(l.implied...)
		var attrs []slog.Attr
		r.Attrs(func(a slog.Attr) bool {
			attrs = append(attrs, a)
			return true
		})
		h = h.WithAttrs(attrs)
	}
	l.h = h
	return l
}

func (l *slogLogger) SetLevel(level hclog.Level) {
	if level == hclog.Trace {
		level = hclog.Debug
	}
	if level >= hclog.Debug && level <= hclog.Error {
		_ = l.level.Set(strings.ToLower(level.String()))
	}
}

func (l *slogLogger) GetLevel() hclog.Level {
	switch l.level.Level() {
	case slog.LevelDebug:
		return hclog.Debug
	case slog.LevelWarn:
		return hclog.Warn
	case slog.LevelError:
		return hclog.Error
	}
	return hclog.Info
}

func (l *slogLogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

// StandardWriter logs each line written to it, at opts.ForceLevel or info.
func (l *slogLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	w := lineWriter{l: l, level: hclog.Info}
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		w.level = opts.ForceLevel
	}
	return w
}

type lineWriter struct {
	l     *slogLogger
	level hclog.Level
}

func (w lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.l.Log(w.level, line)
	}
	return len(p), nil
}
