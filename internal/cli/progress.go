//go:build linux

package cli

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressDelay is how long a run goes before it earns a progress bar.
const progressDelay = 700 * time.Millisecond

// progress draws a bar on stderr for runs longer than a moment. It is only
// ever enabled on a terminal, never for JSON output or when output is piped.
// The bar exists from the start, so its elapsed time and estimate are
// right; its output is held back until progressDelay has passed.
type progress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	out   *delayedWriter
	timer *time.Timer
}

// delayedWriter discards writes until it is opened.
type delayedWriter struct {
	w    io.Writer
	open atomic.Bool
}

func (d *delayedWriter) Write(p []byte) (int, error) {
	if !d.open.Load() {
		return len(p), nil
	}
	return d.w.Write(p)
}

// newProgress returns a progress for total probes; nil (a no-op) when it
// must not be shown.
func newProgress(g *globals, total int, enabled bool) *progress {
	if !enabled || total < 2 || !isTerminal(g.rawStderr) || dumbTerminal() {
		return nil
	}
	out := &delayedWriter{w: g.rawStderr}
	p := &progress{out: out, bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetDescription("probing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionEnableColorCodes(g.colorErr),
	)}
	p.timer = time.AfterFunc(progressDelay, func() {
		out.open.Store(true)
		p.mu.Lock()
		defer p.mu.Unlock()
		_ = p.bar.RenderBlank()
	})
	return p
}

// add counts one finished probe.
func (p *progress) add() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Add(1)
}

// finish removes the bar before the results are printed.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out.open.Load() {
		_ = p.bar.Clear()
	}
	p.out.open.Store(false)
	_ = p.bar.Finish()
}
