//go:build linux

package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// Action is what Chaos does to a plugin process.
type Action string

// Actions. A pause is shorter than pluginhost.LivenessTimeout (1 s), so the
// plugin must survive it; a stop is longer than a probe's budget plus the
// liveness check, so probe must declare the plugin hung and replace it; a
// kill must be noticed and the plugin replaced.
const (
	ActionPause Action = "pause" // SIGSTOP, SIGCONT after at most ChaosOptions.MaxPause
	ActionStop  Action = "stop"  // SIGSTOP, SIGCONT after ChaosOptions.LongStop
	ActionKill  Action = "kill"  // SIGKILL
)

// Event is one thing Chaos did.
type Event struct {
	At       time.Duration // since Chaos began
	Progress float64       // of the run, 0 to 1, when it began
	Action   Action
	Role     string // the phase the process served
	PID      int
	Held     time.Duration // how long the process was stopped
	Err      string        // why the signal did not reach it ("" if it did)
}

// ChaosOptions tune Chaos; zero fields take the defaults.
type ChaosOptions struct {
	Seed     uint64
	MeanGap  time.Duration // mean time between events, exponentially distributed (2s)
	MaxPause time.Duration // a pause lasts 10 ms up to this (700ms)
	LongStop time.Duration // how long a stop holds the process (4s)
	// Disruptions is how many kills and stops each plugin gets over the
	// run (2, alternating). pluginhost replaces a plugin at most 3 times a
	// run (Options.MaxRestarts), so more would make the phase give up.
	Disruptions int
	// From and To bound the run's progress within which disruptions are
	// spread (0.1 to 0.8): none during warm-up, and a stretch at the end
	// where the last processes run long enough to show a trend.
	From, To float64
}

func (o *ChaosOptions) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.MeanGap, 2*time.Second)
	def(&o.MaxPause, 700*time.Millisecond)
	def(&o.LongStop, 4*time.Second)
	if o.Disruptions == 0 {
		o.Disruptions = 2
	}
	if o.From == 0 && o.To == 0 {
		o.From, o.To = 0.1, 0.8
	}
}

// Chaos signals the plugin processes (the children) of one root process.
type Chaos struct {
	opts  ChaosOptions
	root  int
	rng   *rand.Rand
	fs    procfs.FS
	start time.Time
	plan  []planned
}

type planned struct {
	at     float64
	role   string
	action Action
}

// NewChaos prepares chaos for root's children.
func NewChaos(root int, opts ChaosOptions) (*Chaos, error) {
	opts.defaults()
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, fmt.Errorf("opening /proc: %w", err)
	}
	return &Chaos{opts: opts, root: root, rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), fs: fs}, nil
}

// Run acts until ctx ends and returns what it did. progress reports how
// far the run is (0 to 1). Every process it stops is continued before the
// next event and before Run returns, whatever ctx does.
func (c *Chaos) Run(ctx context.Context, progress func() float64) []Event {
	c.start = time.Now()
	var events []Event
	for sleepCtx(ctx, c.gap()) {
		kids := c.children()
		if len(kids) == 0 {
			continue
		}
		if c.plan == nil {
			c.plan = c.makePlan(kids)
		}
		p := progress()
		k, action := kids[c.rng.IntN(len(kids))], ActionPause
		if len(c.plan) > 0 && c.plan[0].at <= p {
			i := slices.IndexFunc(kids, func(k child) bool { return k.role == c.plan[0].role })
			if i < 0 {
				continue // being replaced: tried again at the next event
			}
			k, action = kids[i], c.plan[0].action
			c.plan = c.plan[1:]
		}
		events = append(events, c.act(ctx, k, action, p))
	}
	return events
}

func (c *Chaos) gap() time.Duration {
	return time.Duration(c.rng.ExpFloat64() * float64(c.opts.MeanGap))
}

// makePlan spreads Disruptions kills and stops per role evenly over
// [From, To], in a random order of roles.
func (c *Chaos) makePlan(kids []child) []planned {
	var roles []string
	for _, k := range kids {
		roles = append(roles, k.role)
	}
	var order []planned
	for _, r := range roles {
		first := c.rng.IntN(2)
		for j := 0; j < c.opts.Disruptions; j++ {
			order = append(order, planned{role: r, action: []Action{ActionKill, ActionStop}[(first+j)%2]})
		}
	}
	c.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	step := (c.opts.To - c.opts.From) / float64(len(order))
	for i := range order {
		order[i].at = c.opts.From + step*(float64(i)+c.rng.Float64())
	}
	sort.Slice(order, func(i, j int) bool { return order[i].at < order[j].at })
	return order
}

// child is a live child of the root.
type child struct {
	pid   int
	start uint64
	role  string
}

func (c *Chaos) children() []child {
	all, err := c.fs.AllProcs()
	if err != nil {
		return nil
	}
	var out []child
	for _, p := range all {
		st, err := p.Stat()
		if err != nil || st.PPID != c.root || st.State == "Z" {
			continue
		}
		out = append(out, child{pid: p.PID, start: st.Starttime, role: roleOf(p, st)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].role < out[j].role })
	return out
}

// act does one action to k and returns the event; a stopped process is
// continued before act returns.
func (c *Chaos) act(ctx context.Context, k child, action Action, progress float64) Event {
	ev := Event{At: time.Since(c.start), Progress: progress, Action: action, Role: k.role, PID: k.pid}
	fd, err := c.open(k)
	if err != nil {
		ev.Err = err.Error()
		return ev
	}
	defer unix.Close(fd)
	if action == ActionKill {
		if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil {
			ev.Err = err.Error()
		}
		return ev
	}
	hold := c.opts.LongStop
	if action == ActionPause {
		hold = 10*time.Millisecond + time.Duration(c.rng.Int64N(int64(c.opts.MaxPause-10*time.Millisecond)))
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGSTOP, nil, 0); err != nil {
		ev.Err = err.Error()
		return ev
	}
	began := time.Now()
	sleepCtx(ctx, hold) // ends early with ctx: the process is continued all the same
	if err := unix.PidfdSendSignal(fd, unix.SIGCONT, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		ev.Err = "continuing: " + err.Error()
	}
	ev.Held = time.Since(began)
	return ev
}

// open returns a pidfd for k, having checked that it names k itself, not
// a process that got k's pid after k ended.
func (c *Chaos) open(k child) (int, error) {
	fd, err := unix.PidfdOpen(k.pid, 0)
	if err != nil {
		return -1, fmt.Errorf("pidfd_open %d: %w", k.pid, err)
	}
	p, err := c.fs.Proc(k.pid)
	var st procfs.ProcStat
	if err == nil {
		st, err = p.Stat()
	}
	if err != nil || st.Starttime != k.start || st.PPID != c.root {
		unix.Close(fd)
		return -1, fmt.Errorf("pid %d is no longer the %s plugin", k.pid, k.role)
	}
	return fd, nil
}

// sleepCtx sleeps for d or until ctx ends; it reports whether ctx is
// still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
