// Package scheduler probes targets continuously on one shared clock: the
// schedule of `probe serve`. Each job (a target in a mode) is probed every
// Interval; the first probes are spread evenly over the first interval so
// that a fleet of targets does not fire at once; at most Concurrency probes
// are in flight; a job never overlaps itself (a probe that overruns its
// slot makes the job skip the slots it missed).
//
// The scheduler knows nothing of plugins or metrics: it calls a Prober
// (runner.Prober satisfies it) and hands each sample to Emit.
package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
)

// Prober probes one target once. runner.Prober implements it.
type Prober interface {
	Probe(ctx context.Context, t plan.Target, round int) sample.Sample
}

// Job is one target probed in one mode by one Prober.
type Job struct {
	Target plan.Target
	Mode   string // a label for Emit ("cold", "warm")
	Prober Prober
}

// Options configure Run.
type Options struct {
	// Interval between the starts of one job's probes; > 0.
	Interval time.Duration
	// Concurrency bounds the probes in flight; < 1 means 1.
	Concurrency int
	// Emit receives every sample with its job. It may be called from
	// several goroutines at once.
	Emit func(Job, sample.Sample)
	// Ready, if set, is called once, when every job has been probed once.
	Ready func()
}

// Run probes jobs until ctx ends, then waits for the probes in flight:
// they run on a context that ctx's end does not cancel, so each finishes
// within its own budget (the target's timeout) and is emitted. The only
// error is an Interval that is not positive.
func Run(ctx context.Context, jobs []Job, opts Options) error {
	if opts.Interval <= 0 {
		return errors.New("scheduler: the interval must be greater than zero")
	}
	s := newSchedule(jobs, opts, time.Now())
	s.loop(ctx)
	return nil
}

// slot is a job and when it is next due.
type slot struct {
	job   int
	due   time.Time
	round int
}

type schedule struct {
	jobs    []Job
	opts    Options
	queue   slots
	sem     chan struct{}
	done    chan slot // finished probes, to be scheduled again
	wg      sync.WaitGroup
	pending int // jobs not yet probed once
	ready   sync.Once
	mu      sync.Mutex
}

func newSchedule(jobs []Job, opts Options, now time.Time) *schedule {
	s := &schedule{
		jobs: jobs, opts: opts, pending: len(jobs),
		sem:  make(chan struct{}, max(opts.Concurrency, 1)),
		done: make(chan slot, len(jobs)), // each job has at most one probe in flight
	}
	for i := range jobs {
		offset := opts.Interval * time.Duration(i) / time.Duration(max(len(jobs), 1))
		s.queue = append(s.queue, slot{job: i, due: now.Add(offset)})
	}
	heap.Init(&s.queue)
	if len(jobs) == 0 {
		s.markReady()
	}
	return s
}

func (s *schedule) loop(ctx context.Context) {
	defer s.wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var wake <-chan time.Time
		if len(s.queue) > 0 {
			timer.Reset(time.Until(s.queue[0].due))
			wake = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case sl := <-s.done:
			heap.Push(&s.queue, s.next(sl, time.Now()))
		case <-wake:
			sl := heap.Pop(&s.queue).(slot)
			if !s.dispatch(ctx, sl) {
				return
			}
		}
	}
}

// next is the slot after sl: one interval later, skipping slots already
// past (the probe overran them).
func (s *schedule) next(sl slot, now time.Time) slot {
	sl.round++
	sl.due = sl.due.Add(s.opts.Interval)
	if late := now.Sub(sl.due); late > 0 {
		sl.due = sl.due.Add((late/s.opts.Interval + 1) * s.opts.Interval)
	}
	return sl
}

// dispatch starts sl's probe once a concurrency slot is free; false when
// ctx ended first.
func (s *schedule) dispatch(ctx context.Context, sl slot) bool {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		job := s.jobs[sl.job]
		smp := job.Prober.Probe(context.WithoutCancel(ctx), job.Target, sl.round)
		<-s.sem
		if s.opts.Emit != nil {
			s.opts.Emit(job, smp)
		}
		if sl.round == 0 {
			s.probedOnce()
		}
		s.done <- sl
	}()
	return true
}

func (s *schedule) probedOnce() {
	s.mu.Lock()
	s.pending--
	left := s.pending
	s.mu.Unlock()
	if left == 0 {
		s.markReady()
	}
}

func (s *schedule) markReady() {
	if s.opts.Ready != nil {
		s.ready.Do(s.opts.Ready)
	}
}

// slots is a min-heap of slots by due time.
type slots []slot

func (q slots) Len() int           { return len(q) }
func (q slots) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q slots) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *slots) Push(x any)        { *q = append(*q, x.(slot)) }
func (q *slots) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
