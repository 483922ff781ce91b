package stats

import (
	"sync"

	"github.com/probe-net/probe/core/sample"
)

// perTarget folds samples into one accumulator per named target and reads
// them back in the order the targets were named; it is what Accumulator and
// WarmAccumulator share. Samples of other targets and probes cut short by an
// interruption (sample.Canceled) are ignored. Safe for concurrent use.
type perTarget[T interface{ add(sample.Sample) }] struct {
	mu      sync.Mutex
	order   []string
	targets map[string]T
}

func newPerTarget[T interface{ add(sample.Sample) }](names []string, newAcc func(name string) T) *perTarget[T] {
	p := &perTarget[T]{order: append([]string(nil), names...), targets: make(map[string]T, len(names))}
	for _, n := range names {
		p.targets[n] = newAcc(n)
	}
	return p
}

func (p *perTarget[T]) add(s sample.Sample) {
	if s.Canceled() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.targets[s.Target]; ok {
		t.add(s)
	}
}

// read returns read(acc) for every target, in order.
func readPerTarget[T interface{ add(sample.Sample) }, R any](p *perTarget[T], read func(T) R) []R {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]R, 0, len(p.order))
	for _, n := range p.order {
		out = append(out, read(p.targets[n]))
	}
	return out
}
