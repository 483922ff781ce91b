//go:build linux

package soak

import (
	"strings"
	"testing"
	"time"
)

// points makes n samples a second apart of probe and one dns plugin; grow
// says how each metric of the role changes with the sample's index.
func points(n int, grow func(role string, i int) Usage) []Point {
	var out []Point
	for i := range n {
		p := Point{Snapshot: Snapshot{At: time.Duration(i+1) * time.Second}, Rounds: float64(i * 10)}
		for depth, role := range []string{RoleProbe, "dns"} {
			u := grow(role, i)
			p.Procs = append(p.Procs, Proc{PID: 100 + depth, Role: role, Depth: depth,
				FDs: int(u.FDs), Threads: int(u.Threads), RSS: int64(u.RSS)})
		}
		out = append(out, p)
	}
	return out
}

func flat(string, int) Usage { return Usage{FDs: 30, Threads: 9, RSS: 25 << 20} }

func TestAnalyzeFlatPasses(t *testing.T) {
	a := Analyze(points(200, flat), 10, 0.1)
	if !a.OK() || len(a.Checks) != 6 || len(a.Windows) != 10 {
		t.Fatalf("flat run: ok %v, %d checks, %d windows\n%v", a.OK(), len(a.Checks), len(a.Windows), a.Checks)
	}
	var b strings.Builder
	if err := a.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(b.String(), "\n"); lines != 11 {
		t.Errorf("table has %d lines, want a header and 10 rows:\n%s", lines, b.String())
	}
}

// A descriptor lost every few samples, a thread every 20 and memory that
// doubles are each caught, and only in the role that leaks.
func TestAnalyzeCatchesGrowth(t *testing.T) {
	for _, tc := range []struct {
		metric Metric
		leak   func(i int, u *Usage)
	}{
		{MetricFDs, func(i int, u *Usage) { u.FDs += float64(i / 10) }},
		{MetricThreads, func(i int, u *Usage) { u.Threads += float64(i / 20) }},
		{MetricRSS, func(i int, u *Usage) { u.RSS += float64(i) * (256 << 10) }},
	} {
		a := Analyze(points(200, func(role string, i int) Usage {
			u := flat(role, i)
			if role == "dns" {
				tc.leak(i, &u)
			}
			return u
		}), 10, 0.1)
		var failed []string
		for _, c := range a.Checks {
			if !c.OK {
				failed = append(failed, c.Role+" "+string(c.Metric))
			}
		}
		if strings.Join(failed, ",") != "dns "+string(tc.metric) {
			t.Errorf("%s leak in dns: failed checks %v, want only that one", tc.metric, failed)
		}
	}
}

// A replacement process (new pid, fresh memory) does not read as growth,
// and a process two levels down is reported as a stray.
func TestAnalyzeReplacementAndStrays(t *testing.T) {
	ps := points(100, flat)
	for i := 50; i < 100; i++ {
		ps[i].Procs[1].PID = 200 // replaced
	}
	ps[70].Procs = append(ps[70].Procs, Proc{PID: 300, Role: "sh", Depth: 2})
	a := Analyze(ps, 10, 0.1)
	if got := a.PIDs["dns"]; len(got) != 2 {
		t.Errorf("dns pids %v, want the first and its replacement", got)
	}
	if len(a.Strays) != 1 || a.OK() {
		t.Errorf("strays %+v, ok %v; want the forked process and a failure", a.Strays, a.OK())
	}
}

func TestAnalyzeFailsOnUnreapedChildren(t *testing.T) {
	ps := points(100, flat)
	for i := 80; i < 100; i++ {
		ps[i].Zombies = 1
	}
	a := Analyze(ps, 10, 0.1)
	if a.Unreaped != 1 || a.OK() || a.Windows[9].Zombies != 1 {
		t.Errorf("unreaped %d, ok %v; want 1 and a failure", a.Unreaped, a.OK())
	}
	ps[99].Zombies = 0
	for i := 80; i < 99; i++ {
		ps[i].Zombies = 0
	}
	ps[95].Zombies = 1 // a plugin that just died, reaped by the next sample
	if a := Analyze(ps, 10, 0.1); a.Unreaped != 0 || !a.OK() {
		t.Errorf("a passing zombie: unreaped %d, ok %v", a.Unreaped, a.OK())
	}
}
