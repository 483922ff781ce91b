package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// recorder is a Prober that takes a fixed time per probe and records what
// overlapped. Durations here shape the schedule; nothing asserts them.
type recorder struct {
	took time.Duration

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	perTarget   map[string]int
	overlapped  []string
	rounds      map[string][]int
	cancelled   int
}

func newRecorder(took time.Duration) *recorder {
	return &recorder{took: took, perTarget: map[string]int{}, rounds: map[string][]int{}}
}

func (r *recorder) Probe(ctx context.Context, t plan.Target, round int) sample.Sample {
	r.mu.Lock()
	r.inFlight++
	r.maxInFlight = max(r.maxInFlight, r.inFlight)
	r.perTarget[t.Name]++
	if r.perTarget[t.Name] > 1 {
		r.overlapped = append(r.overlapped, t.Name)
	}
	r.rounds[t.Name] = append(r.rounds[t.Name], round)
	r.mu.Unlock()
	select {
	case <-time.After(r.took):
	case <-ctx.Done():
		r.mu.Lock()
		r.cancelled++
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.inFlight--
	r.perTarget[t.Name]--
	r.mu.Unlock()
	return sample.Sample{Target: t.Name, Round: round}
}

func jobs(p Prober, names ...string) []Job {
	var out []Job
	for _, n := range names {
		out = append(out, Job{Target: plan.Target{Target: sdk.Target{Name: n}}, Mode: "cold", Prober: p})
	}
	return out
}

// collector gathers emitted samples and stops the run after n of them.
type collector struct {
	mu      sync.Mutex
	samples []sample.Sample
	n       int
	stop    context.CancelFunc
	ready   []int // samples emitted when Ready was called, per call
}

func (c *collector) emit(_ Job, s sample.Sample) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.samples = append(c.samples, s)
	if len(c.samples) == c.n {
		c.stop()
	}
}

func run(t *testing.T, js []Job, opts Options, n int) *collector {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := &collector{n: n, stop: cancel}
	opts.Emit = c.emit
	opts.Ready = func() {
		c.mu.Lock()
		c.ready = append(c.ready, len(c.samples))
		c.mu.Unlock()
	}
	if err := Run(ctx, js, opts); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("only %d of %d samples before the test's deadline", len(c.samples), n)
	}
	return c
}

func TestEveryJobProbedInRoundsAndReadyOnce(t *testing.T) {
	rec := newRecorder(time.Millisecond)
	c := run(t, jobs(rec, "a", "b", "c"), Options{Interval: 20 * time.Millisecond, Concurrency: 3}, 12)
	if len(c.ready) != 1 || c.ready[0] < 3 {
		t.Errorf("Ready called after %v samples; want once, after every job was probed", c.ready)
	}
	for _, n := range []string{"a", "b", "c"} {
		rounds := rec.rounds[n]
		if len(rounds) < 2 {
			t.Errorf("%s probed %d times", n, len(rounds))
		}
		for i, r := range rounds {
			if r != i {
				t.Errorf("%s: rounds %v, want 0, 1, 2, ...", n, rounds)
				break
			}
		}
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	rec := newRecorder(15 * time.Millisecond)
	run(t, jobs(rec, "a", "b", "c", "d", "e", "f"), Options{Interval: time.Millisecond, Concurrency: 2}, 30)
	if rec.maxInFlight > 2 {
		t.Errorf("%d probes in flight at once, want at most 2", rec.maxInFlight)
	}
	if rec.maxInFlight < 1 {
		t.Error("nothing probed")
	}
}

func TestAJobNeverOverlapsItself(t *testing.T) {
	rec := newRecorder(10 * time.Millisecond) // longer than the interval
	run(t, jobs(rec, "a", "b"), Options{Interval: time.Millisecond, Concurrency: 8}, 10)
	if len(rec.overlapped) > 0 {
		t.Errorf("probes of %v overlapped", rec.overlapped)
	}
}

// TestFirstProbesAreSpread: with a long interval, only the first job is due
// at once; the others wait for their share of the interval.
func TestFirstProbesAreSpread(t *testing.T) {
	rec := newRecorder(time.Millisecond)
	c := run(t, jobs(rec, "a", "b", "c", "d"), Options{Interval: time.Hour, Concurrency: 4}, 1)
	if len(c.samples) != 1 || c.samples[0].Target != "a" {
		t.Errorf("samples %+v; want only a's first probe before b's slot a quarter hour later", c.samples)
	}
}

// TestStopLetsInFlightProbesFinish: when the context ends, Run waits for
// the probes in flight, which are not cancelled and are emitted.
func TestStopLetsInFlightProbesFinish(t *testing.T) {
	rec := newRecorder(200 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var emitted []string
	opts := Options{Interval: time.Hour, Concurrency: 4, Emit: func(_ Job, s sample.Sample) {
		mu.Lock()
		emitted = append(emitted, s.Target)
		mu.Unlock()
	}}
	started := make(chan struct{})
	go func() {
		for {
			rec.mu.Lock()
			n := rec.inFlight
			rec.mu.Unlock()
			if n > 0 {
				close(started)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() {
		<-started
		cancel()
	}()
	if err := Run(ctx, jobs(rec, "a", "b"), opts); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.inFlight != 0 {
		t.Errorf("Run returned with %d probes in flight", rec.inFlight)
	}
	if rec.cancelled != 0 {
		t.Errorf("%d in-flight probes were cancelled; they should finish within their budget", rec.cancelled)
	}
	if len(emitted) != 1 || emitted[0] != "a" {
		t.Errorf("emitted %v, want a's probe that was in flight", emitted)
	}
}

func TestZeroIntervalIsAnError(t *testing.T) {
	if err := Run(context.Background(), nil, Options{}); err == nil {
		t.Error("Run accepted a zero interval")
	}
}

func TestNoJobsIsReadyAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := false
	if err := Run(ctx, nil, Options{Interval: time.Second, Ready: func() { ready = true; cancel() }}); err != nil {
		t.Fatal(err)
	}
	if !ready {
		t.Error("Ready not called for an empty schedule")
	}
}
