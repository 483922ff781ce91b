package runner

import "sync"

// pool keeps at most one idle connection chain per target between probes.
type pool struct {
	mu   sync.Mutex
	idle map[string]*chain
}

func newPool() *pool { return &pool{idle: map[string]*chain{}} }

// take removes and returns the target's idle chain, or nil.
func (p *pool) take(target string) *chain {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.idle[target]
	delete(p.idle, target)
	return c
}

// put keeps c for the target's next probe, releasing any chain it replaces.
func (p *pool) put(target string, c *chain) {
	p.mu.Lock()
	old := p.idle[target]
	p.idle[target] = c
	p.mu.Unlock()
	if old != nil {
		old.release()
	}
}

func (p *pool) closeAll() {
	p.mu.Lock()
	idle := p.idle
	p.idle = map[string]*chain{}
	p.mu.Unlock()
	for _, c := range idle {
		c.release()
	}
}
