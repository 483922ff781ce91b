//go:build linux

package soak

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// RoleProbe is the Role of the root process in a Snapshot; its children
// have the phase they serve (from the built-ins' command line
// "probe __plugin PHASE") or, for anything else, their command name.
const RoleProbe = "probe"

// Proc is one process at one moment.
type Proc struct {
	PID       int
	Start     uint64 // start time in clock ticks after boot: with PID, names the process across pid reuse
	Role      string
	Depth     int // 0 the root, 1 its children, 2 their children ...
	FDs       int // entries in /proc/PID/fd
	Threads   int
	RSS       int64   // resident bytes
	CPUSecond float64 // user + system time so far
}

// Snapshot is the process tree under a root at one moment.
type Snapshot struct {
	At    time.Duration // since the sampler was made
	Procs []Proc        // the root first; none once the root has gone
	// Zombies counts descendants that ended and were not yet reaped: a
	// host that never waits for its dead plugins piles them up.
	Zombies int
	// Load1 is the machine's one-minute load average (what else competes
	// for the processors: the soak's figures depend on it).
	Load1 float64
}

// Sampler reads the process tree under one root process from /proc.
type Sampler struct {
	fs    procfs.FS
	root  int
	start time.Time
}

// NewSampler samples the tree under root.
func NewSampler(root int) (*Sampler, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return nil, fmt.Errorf("opening /proc: %w", err)
	}
	return &Sampler{fs: fs, root: root, start: time.Now()}, nil
}

// Sample reads the root and all its live descendants. A process that ends
// while it is read is left out; zombies are only counted.
func (s *Sampler) Sample() (Snapshot, error) {
	snap := Snapshot{At: time.Since(s.start)}
	if l, err := s.fs.LoadAvg(); err == nil {
		snap.Load1 = l.Load1
	}
	all, err := s.fs.AllProcs()
	if err != nil {
		return snap, fmt.Errorf("listing /proc: %w", err)
	}
	stats := make(map[int]procfs.ProcStat, len(all))
	kids := map[int][]int{}
	for _, p := range all {
		st, err := p.Stat()
		if err != nil {
			continue // gone
		}
		stats[p.PID] = st
		kids[st.PPID] = append(kids[st.PPID], p.PID)
	}
	if _, ok := stats[s.root]; !ok {
		return snap, nil
	}
	type node struct{ pid, depth int }
	for queue := []node{{s.root, 0}}; len(queue) > 0; queue = queue[1:] {
		n := queue[0]
		if stats[n.pid].State == "Z" {
			snap.Zombies++
			continue
		}
		if p, ok := s.read(n.pid, stats[n.pid], n.depth); ok {
			snap.Procs = append(snap.Procs, p)
		}
		for _, k := range kids[n.pid] {
			queue = append(queue, node{k, n.depth + 1})
		}
	}
	return snap, nil
}

func (s *Sampler) read(pid int, st procfs.ProcStat, depth int) (Proc, bool) {
	p, err := s.fs.Proc(pid)
	if err != nil {
		return Proc{}, false
	}
	fds, err := p.FileDescriptorsLen()
	if err != nil {
		return Proc{}, false
	}
	role := RoleProbe
	if depth > 0 {
		role = roleOf(p, st)
	}
	return Proc{
		PID: pid, Start: st.Starttime, Role: role, Depth: depth, FDs: fds, Threads: st.NumThreads,
		RSS: int64(st.ResidentMemory()), CPUSecond: st.CPUTime(),
	}, true
}

// roleOf names a child: the phase of a built-in plugin, else its command.
func roleOf(p procfs.Proc, st procfs.ProcStat) string {
	if args, err := p.CmdLine(); err == nil && len(args) == 3 && args[1] == "__plugin" {
		return args[2]
	}
	return st.Comm
}
