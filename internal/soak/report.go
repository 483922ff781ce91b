//go:build linux

package soak

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Point is one sample of the soak: the process tree and how far the run
// had got.
type Point struct {
	Snapshot
	Rounds float64 // rounds of probes finished, estimated from the healthy-tcp server's connections
}

// Metric is one figure sampled per process.
type Metric string

// Metrics, per role (the probe process, or the plugin process(es) of one
// phase, summed when a replacement overlaps the one it replaces).
const (
	MetricFDs     Metric = "fds"
	MetricThreads Metric = "threads"
	MetricRSS     Metric = "rss"
)

// Tolerance is how much a metric may grow from the first window after
// warm-up to the last window, comparing the windows' medians: Abs plus
// Frac of the first window's median. Units: descriptors, threads, bytes.
type Tolerance struct {
	Abs  float64
	Frac float64
}

func (t Tolerance) allows(base, growth float64) bool { return growth <= t.Abs+t.Frac*base }

// Tolerances are the soak's limits. The reasoning: a descriptor or thread
// leaked once per 10,000 probes shows as +10 over 100,000, so the limits
// for counts are absolute and small; memory moves with the garbage
// collector's pacing and the kernel's reclaim, so it gets a fraction, and
// probe itself keeps one duration per successful phase by design (about
// 40 bytes a probe: 4 MB over 100,000), which the absolute part covers.
var Tolerances = map[Metric]Tolerance{
	MetricFDs:     {Abs: 8},
	MetricThreads: {Abs: 4},
	MetricRSS:     {Abs: 8 << 20, Frac: 0.25},
}

// Check is one verdict on one role's metric.
type Check struct {
	Role       string
	Metric     Metric
	Base, Last float64 // medians of the first window after warm-up and of the last one
	Growth     float64
	Limit      float64 // the growth allowed
	OK         bool
}

func (c Check) String() string {
	verdict := "ok"
	if !c.OK {
		verdict = "GREW"
	}
	return fmt.Sprintf("%-6s %-7s %10s -> %-10s %+11s  (limit %+s)  %s", c.Role, c.Metric,
		c.format(c.Base), c.format(c.Last), c.format(c.Growth), c.format(c.Limit), verdict)
}

func (c Check) format(v float64) string {
	if c.Metric == MetricRSS {
		return fmt.Sprintf("%.1fMiB", v/(1<<20))
	}
	return fmt.Sprintf("%.0f", v)
}

// Analysis is the soak's samples folded into windows and verdicts.
type Analysis struct {
	Warmup  float64 // the share of the run before the checks' base window
	Windows []Window
	Checks  []Check
	Roles   []string // probe first, then the plugin phases
	PIDs    map[string][]int
	// CPU is the processor time (user and system, seconds) each role used,
	// summed over its processes as last sampled.
	CPU map[string]float64
	// Strays are processes more than one level below probe (what a plugin
	// forked): there should be none.
	Strays []Proc
	// Unreaped is the median count of dead, unreaped children (zombies)
	// over the last window: it must be 0.
	Unreaped int
}

// Window is one row of the table over time.
type Window struct {
	End     time.Duration
	Rounds  float64
	Probe   Usage   // medians (threads: max) over the window
	Plugin  Usage   // summed over the plugin processes, medians over the window
	PIDs    int     // distinct plugin processes seen so far
	Zombies int     // the most dead, unreaped children at once
	Load    float64 // the machine's one-minute load average, median over the window
}

// Usage is a process's (or a group's) descriptors, threads and memory.
type Usage struct {
	FDs, Threads float64
	RSS          float64 // bytes
}

// Analyze folds points into n windows of equal time and checks every role
// for growth between the first window after warmup (a fraction of the
// run) and the last.
func Analyze(points []Point, n int, warmup float64) Analysis {
	a := Analysis{Warmup: warmup, PIDs: map[string][]int{}, CPU: map[string]float64{}}
	if len(points) == 0 || n < 1 {
		return a
	}
	series := map[string][]Usage{} // per role, one per point
	var pluginSum []Usage
	seen := map[int]bool{}
	stray := map[int]bool{}
	cpu := map[int]cpuOf{}
	for i, p := range points {
		sum := Usage{}
		byRole := map[string]Usage{}
		for _, pr := range p.Procs {
			if pr.Depth > 1 {
				if !stray[pr.PID] {
					stray[pr.PID] = true
					a.Strays = append(a.Strays, pr)
				}
				continue
			}
			u := byRole[pr.Role]
			u.FDs, u.Threads, u.RSS = u.FDs+float64(pr.FDs), u.Threads+float64(pr.Threads), u.RSS+float64(pr.RSS)
			byRole[pr.Role] = u
			cpu[pr.PID] = cpuOf{pr.Role, pr.CPUSecond}
			if pr.Depth == 1 {
				sum.FDs, sum.Threads, sum.RSS = sum.FDs+float64(pr.FDs), sum.Threads+float64(pr.Threads), sum.RSS+float64(pr.RSS)
				if !seen[pr.PID] {
					seen[pr.PID] = true
					a.PIDs[pr.Role] = append(a.PIDs[pr.Role], pr.PID)
				}
			}
		}
		for role, u := range byRole {
			if series[role] == nil {
				series[role] = make([]Usage, len(points))
				a.Roles = append(a.Roles, role)
			}
			series[role][i] = u
		}
		pluginSum = append(pluginSum, sum)
	}
	for _, c := range cpu {
		a.CPU[c.role] += c.seconds
	}
	sort.Slice(a.Roles, func(i, j int) bool { return roleKey(a.Roles[i]) < roleKey(a.Roles[j]) })
	for _, b := range windows(points, n) {
		last := points[b[1]-1]
		a.Windows = append(a.Windows, Window{
			End: last.At, Rounds: last.Rounds,
			Probe:   fold(series[RoleProbe][b[0]:b[1]]),
			Plugin:  fold(pluginSum[b[0]:b[1]]),
			PIDs:    countPIDs(points[:b[1]]),
			Zombies: maxZombies(points[b[0]:b[1]]),
			Load:    medianLoad(points[b[0]:b[1]]),
		})
	}
	a.Unreaped = lastZombies(points, n)
	a.Checks = checks(points, series, a.Roles, n, warmup)
	return a
}

type cpuOf struct {
	role    string
	seconds float64
}

// windows splits points into n spans of equal time, as [from, to) index
// pairs; empty spans are left out.
func windows(points []Point, n int) [][2]int {
	end := points[len(points)-1].At
	var out [][2]int
	from := 0
	for w := 1; w <= n; w++ {
		limit := time.Duration(float64(end) * float64(w) / float64(n))
		to := from
		for to < len(points) && (points[to].At <= limit || w == n) {
			to++
		}
		if to > from {
			out = append(out, [2]int{from, to})
		}
		from = to
	}
	return out
}

// checks compares each role's first window after warm-up with its last.
// A role absent from a point (a plugin being replaced) is left out of
// that point.
func checks(points []Point, series map[string][]Usage, roles []string, n int, warmup float64) []Check {
	end := points[len(points)-1].At
	span := time.Duration(float64(end) * (1 - warmup) / float64(n))
	start := time.Duration(float64(end) * warmup)
	var out []Check
	for _, role := range roles {
		var base, last []Usage
		for i, p := range points {
			u := series[role][i]
			if u == (Usage{}) {
				continue
			}
			switch {
			case p.At >= start && p.At < start+span:
				base = append(base, u)
			case p.At >= end-span:
				last = append(last, u)
			}
		}
		if len(base) == 0 || len(last) == 0 {
			continue
		}
		for _, m := range []Metric{MetricFDs, MetricThreads, MetricRSS} {
			b, l := median(base, m), median(last, m)
			tol := Tolerances[m]
			out = append(out, Check{Role: role, Metric: m, Base: b, Last: l, Growth: l - b,
				Limit: tol.Abs + tol.Frac*b, OK: tol.allows(b, l-b)})
		}
	}
	return out
}

func fold(us []Usage) Usage {
	return Usage{FDs: median(us, MetricFDs), Threads: maximum(us, MetricThreads), RSS: median(us, MetricRSS)}
}

func value(u Usage, m Metric) float64 {
	switch m {
	case MetricFDs:
		return u.FDs
	case MetricThreads:
		return u.Threads
	}
	return u.RSS
}

func median(us []Usage, m Metric) float64 {
	if len(us) == 0 {
		return 0
	}
	vs := make([]float64, len(us))
	for i, u := range us {
		vs[i] = value(u, m)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

func maximum(us []Usage, m Metric) float64 {
	var out float64
	for _, u := range us {
		out = max(out, value(u, m))
	}
	return out
}

func medianLoad(points []Point) float64 {
	ls := make([]float64, len(points))
	for i, p := range points {
		ls[i] = p.Load1
	}
	slices.Sort(ls)
	return ls[len(ls)/2]
}

func maxZombies(points []Point) int {
	var out int
	for _, p := range points {
		out = max(out, p.Zombies)
	}
	return out
}

// lastZombies is the median of the zombie counts over the last of n
// windows.
func lastZombies(points []Point, n int) int {
	end := points[len(points)-1].At
	var zs []int
	for _, p := range points {
		if p.At >= end-end/time.Duration(n) {
			zs = append(zs, p.Zombies)
		}
	}
	slices.Sort(zs)
	return zs[len(zs)/2]
}

// roleKey sorts probe first, then the phases by name.
func roleKey(role string) string {
	if role == RoleProbe {
		return ""
	}
	return role
}

// countPIDs counts the distinct plugin processes in points.
func countPIDs(points []Point) int {
	pids := map[int]bool{}
	for _, p := range points {
		for _, pr := range p.Procs {
			if pr.Depth == 1 {
				pids[pr.PID] = true
			}
		}
	}
	return len(pids)
}

// OK reports whether every check passed and nothing was forked.
func (a Analysis) OK() bool {
	for _, c := range a.Checks {
		if !c.OK {
			return false
		}
	}
	return len(a.Strays) == 0 && a.Unreaped == 0
}

// WriteTable writes the windows as a table: probe's and the plugins'
// (summed) descriptors, threads and resident memory over time.
func (a Analysis) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "elapsed\trounds\tprobe fds\tthreads\tRSS MiB\tplugins fds\tthreads\tRSS MiB\tplugin pids\tzombies\tload\t")
	for _, r := range a.Windows {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.0f\t%.1f\t%.0f\t%.0f\t%.1f\t%d\t%d\t%.1f\t\n", r.End.Round(time.Second), r.Rounds,
			r.Probe.FDs, r.Probe.Threads, r.Probe.RSS/(1<<20), r.Plugin.FDs, r.Plugin.Threads, r.Plugin.RSS/(1<<20), r.PIDs, r.Zombies, r.Load)
	}
	return tw.Flush()
}

// WriteChecks writes one line per check, then any stray process.
func (a Analysis) WriteChecks(w io.Writer) error {
	var b strings.Builder
	for _, c := range a.Checks {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	if a.Unreaped > 0 {
		fmt.Fprintf(&b, "%d dead plugin processes left unreaped (zombies) at the end\n", a.Unreaped)
	}
	for _, s := range a.Strays {
		fmt.Fprintf(&b, "stray process %d (%s), %d levels below probe\n", s.PID, s.Role, s.Depth)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
