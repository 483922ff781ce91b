//go:build linux

package cli

import (
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressDelay is how long a run goes before it earns a progress bar.
const progressDelay = 700 * time.Millisecond

// progress draws a bar on stderr for runs longer than a moment. It is only
// ever enabled on a terminal, never for JSON output or when output is piped.
type progress struct {
	mu    sync.Mutex
	g     *globals
	total int
	done  int
	bar   *progressbar.ProgressBar
	timer *time.Timer
}

// newProgress returns a progress for total probes; nil (a no-op) when it
// must not be shown.
func newProgress(g *globals, total int, enabled bool) *progress {
	if !enabled || total < 2 || !isTerminal(g.stderr) {
		return nil
	}
	p := &progress{g: g, total: total}
	p.timer = time.AfterFunc(progressDelay, p.show)
	return p
}

func (p *progress) show() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done >= p.total {
		return
	}
	p.bar = progressbar.NewOptions(p.total,
		progressbar.OptionSetWriter(p.g.stderr),
		progressbar.OptionSetDescription("probing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionEnableColorCodes(p.g.color),
	)
	_ = p.bar.Set(p.done)
}

// add counts one finished probe.
func (p *progress) add() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.bar != nil {
		_ = p.bar.Set(p.done)
	}
}

// finish removes the bar before the results are printed.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = p.total
	if p.bar != nil {
		_ = p.bar.Clear()
		_ = p.bar.Finish()
	}
}
