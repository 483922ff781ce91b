//go:build linux

package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// serveLogger builds serve's logger from --log.level and --log.format:
// hclog, as JSON lines or hclog's text form, on w.
func serveLogger(level, format string, w io.Writer) (hclog.Logger, error) {
	lvl := hclog.LevelFromString(level)
	if lvl == hclog.NoLevel || lvl == hclog.Off {
		return nil, fmt.Errorf("--log.level must be one of trace, debug, info, warn, error, not %q", level)
	}
	if format != "text" && format != "logfmt" && format != "json" {
		return nil, fmt.Errorf("--log.format must be text (or logfmt) or json, not %q", format)
	}
	opts := &hclog.LoggerOptions{Name: "probe", Level: lvl, Output: w, JSONFormat: format == "json"}
	if lvl > hclog.Trace {
		opts.Exclude = pluginPlumbing().Exclude
	}
	return hclog.New(opts), nil
}

// slogHandler passes log/slog records (exporter-toolkit logs through slog)
// to an hclog logger, so that serve writes one log in one format.
type slogHandler struct {
	log   hclog.Logger
	attrs []any
	group string
}

func newSlog(l hclog.Logger) *slog.Logger { return slog.New(&slogHandler{log: l}) }

func (h *slogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return h.log.GetLevel() <= hclogLevel(level)
}

func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	args := append([]any(nil), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		args = append(args, h.key(a.Key), a.Value.Resolve().Any())
		return true
	})
	h.log.Log(hclogLevel(r.Level), r.Message, args...)
	return nil
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := *h
	out.attrs = append([]any(nil), h.attrs...)
	for _, a := range attrs {
		out.attrs = append(out.attrs, h.key(a.Key), a.Value.Resolve().Any())
	}
	return &out
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	out := *h
	out.group = h.key(name)
	return &out
}

func (h *slogHandler) key(k string) string {
	if h.group == "" {
		return k
	}
	return h.group + "." + k
}

func hclogLevel(l slog.Level) hclog.Level {
	switch {
	case l >= slog.LevelError:
		return hclog.Error
	case l >= slog.LevelWarn:
		return hclog.Warn
	case l >= slog.LevelInfo:
		return hclog.Info
	}
	return hclog.Debug
}
