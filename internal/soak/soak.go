//go:build linux

package soak

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Config is one soak.
type Config struct {
	Probe  string // the probe binary
	Probes int    // at least this many probes in all (rounded up to whole rounds)
	Copies int    // targets of each Kind (2)
	// Deadline bounds the whole soak; probe still running then is a hang
	// (it gets SIGQUIT for a goroutine dump, then SIGKILL). 0: 10 minutes
	// plus 20 ms a probe.
	Deadline    time.Duration
	SampleEvery time.Duration // 1s
	Windows     int           // rows of the table (10)
	Warmup      float64       // share of the run before the growth checks' base window (0.1)
	Chaos       ChaosOptions
	// Dir keeps the targets file, probe's stderr (probe.stderr),
	// samples.csv and events.csv; "" uses a temporary directory, removed
	// at the end. probe's NDJSON output is folded as it arrives, not kept.
	Dir string
	Log io.Writer // a progress line every 30 s; nil: none
}

func (c *Config) defaults() {
	if c.Copies == 0 {
		c.Copies = 2
	}
	if c.Deadline == 0 {
		c.Deadline = 10*time.Minute + time.Duration(c.Probes)*20*time.Millisecond
	}
	if c.SampleEvery == 0 {
		c.SampleEvery = time.Second
	}
	if c.Windows == 0 {
		c.Windows = 10
	}
	if c.Warmup == 0 {
		c.Warmup = 0.1
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Result is what a soak found.
type Result struct {
	Targets  []Target
	Rounds   int
	Elapsed  time.Duration
	Probes   int      // reported by probe
	ExitCode int      // probe's
	Hung     bool     // probe was still running at the deadline
	Stopped  bool     // the soak was interrupted (SIGINT, SIGTERM) before probe finished
	Left     []string // processes and socket directories left behind after probe exited
	Events   []Event
	Analysis Analysis
	Verdict  Verdict
	Restarts []Restart // as probe logged them
	Stderr   string
}

// OK reports whether the soak passed: probe ended by itself with exit 1
// (hostile targets fail), left nothing behind, reported every probe as
// its target's kind says within its bound, replaced the plugins chaos
// killed or stopped and no other that exited (ChaosProblems), and nothing
// grew beyond the tolerances.
func (r *Result) OK() bool {
	problems, _ := r.ChaosProblems()
	return !r.Hung && !r.Stopped && r.ExitCode == 1 && len(r.Left) == 0 && r.Verdict.OK() && r.Analysis.OK() && len(problems) == 0
}

// Run starts the bed and `probe run` over it, samples the process tree,
// lets chaos loose on the plugins, and judges the outcome. An error means
// the soak itself could not run; what it found is in Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.defaults()
	dir, cleanup, err := workDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	bed, err := StartBed()
	if err != nil {
		return nil, err
	}
	defer bed.Close()
	targets, err := Targets(bed, cfg.Copies)
	if err != nil {
		return nil, err
	}
	rounds := (cfg.Probes + len(targets) - 1) / len(targets)
	file := filepath.Join(dir, "soak.hcl")
	if err := os.WriteFile(file, []byte(File(bed, targets, FileOptions{Count: rounds})), 0o644); err != nil {
		return nil, err
	}
	res := &Result{Targets: targets, Rounds: rounds}
	if err := runProbe(ctx, cfg, dir, file, res, NewTally(targets)); err != nil {
		return nil, err
	}
	return res, nil
}

// workDir returns dir (created) or a new temporary directory, and what
// removes the temporary one.
func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	tmp, err := os.MkdirTemp("", "probe-soak-run-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// runProbe runs probe on file with everything watching it, and fills res.
func runProbe(ctx context.Context, cfg Config, dir, file string, res *Result, tally *Tally) error {
	tmp := filepath.Join(dir, "tmp") // probe's TMPDIR: its socket directories go here
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(cfg.Probe, "run", file, "--format", "ndjson")
	cmd.Env = probeEnv(tmp)
	cmd.Stdout, cmd.Stderr = pw, &capped{w: &stderr, left: 1 << 20}
	// Its own process group: a Ctrl-C at the terminal reaches the soak,
	// which stops probe itself. Pdeathsig: probe ends with the soak.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := time.Now()
	err = cmd.Start()
	pw.Close() // probe holds the write end now
	if err != nil {
		return fmt.Errorf("starting %s: %w", cfg.Probe, err)
	}
	read := make(chan error, 1)
	go func() { read <- tally.Read(pr) }()
	watch, stopWatching := context.WithCancel(context.Background())
	rounds := func() float64 { return float64(tally.Probes()) / float64(len(res.Targets)) }
	w := startWatchers(watch, cfg, cmd.Process.Pid, res.Rounds, rounds)
	res.ExitCode, res.Hung = wait(ctx, cmd, started.Add(cfg.Deadline))
	res.Elapsed, res.Stopped = time.Since(started), ctx.Err() != nil
	stopWatching()
	w.wait()
	res.Events, res.Stderr = w.events, stderr.String()
	res.Restarts = ParseRestarts(res.Stderr)
	res.Analysis = Analyze(w.points, cfg.Windows, cfg.Warmup)
	res.Left = leftBehind(w.points, tmp)
	if err := finishReading(read, pr); err != nil {
		res.Left = append(res.Left, "probe's output: "+err.Error())
	}
	res.Verdict, res.Probes = tally.Verdict(res.Rounds), int(tally.Probes())
	if err := writeRecords(dir, w.points, w.events); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "probe.stderr"), stderr.Bytes(), 0o644)
}

// finishReading waits up to 10 s for the rest of probe's output (every
// process holding the pipe has ended by now), then closes the pipe.
func finishReading(read <-chan error, pr *os.File) error {
	select {
	case err := <-read:
		return err
	case <-time.After(10 * time.Second):
		pr.Close()
		<-read
		return errors.New("still open 10 s after probe exited")
	}
}

// probeEnv is the soak's environment for probe, with TMPDIR set and
// nothing that could point probe elsewhere.
func probeEnv(tmp string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "TMPDIR" || name == "PRECONNECT_HOSTS" || strings.HasPrefix(name, "PROBE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TMPDIR="+tmp)
}

// wait waits for cmd until deadline or ctx. At the deadline probe is
// hung: SIGQUIT makes the Go runtime print every goroutine to stderr, and
// SIGKILL follows 5 s later. When ctx ends, probe gets SIGTERM and 15 s.
func wait(ctx context.Context, cmd *exec.Cmd, deadline time.Time) (code int, hung bool) {
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	grace := 15 * time.Second
	select {
	case <-done:
		return cmd.ProcessState.ExitCode(), false
	case <-timer.C:
		hung, grace = true, 5*time.Second
		_ = cmd.Process.Signal(syscall.SIGQUIT)
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
	return cmd.ProcessState.ExitCode(), hung
}

// watchers sample the process tree and run the chaos while probe runs.
type watchers struct {
	wg     sync.WaitGroup
	points []Point
	events []Event
}

func startWatchers(ctx context.Context, cfg Config, pid, total int, rounds func() float64) *watchers {
	w := &watchers{}
	w.wg.Add(2)
	go func() {
		defer w.wg.Done()
		w.points = sample(ctx, cfg, pid, total, rounds)
	}()
	go func() {
		defer w.wg.Done()
		chaos, err := NewChaos(pid, cfg.Chaos)
		if err != nil {
			fmt.Fprintln(cfg.Log, "chaos:", err)
			return
		}
		w.events = chaos.Run(ctx, func() float64 { return rounds() / float64(total) })
	}()
	return w
}

func (w *watchers) wait() { w.wg.Wait() }

// sample reads the tree every cfg.SampleEvery until ctx ends, logging a
// line every 30 s.
func sample(ctx context.Context, cfg Config, pid, total int, rounds func() float64) []Point {
	s, err := NewSampler(pid)
	if err != nil {
		fmt.Fprintln(cfg.Log, "sampler:", err)
		return nil
	}
	var points []Point
	lastLog := time.Now()
	tick := time.NewTicker(cfg.SampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return points
		case <-tick.C:
		}
		snap, err := s.Sample()
		if err != nil || len(snap.Procs) == 0 {
			continue
		}
		points = append(points, Point{Snapshot: snap, Rounds: rounds()})
		if time.Since(lastLog) >= 30*time.Second {
			lastLog = time.Now()
			logPoint(cfg.Log, points[len(points)-1], total)
		}
	}
}

func logPoint(w io.Writer, p Point, total int) {
	root := p.Procs[0]
	fmt.Fprintf(w, "%6s  round %.0f/%d  probe: %d fds, %d threads, %.1f MiB;  %d plugin processes;  load %.1f\n",
		p.At.Round(time.Second), p.Rounds, total, root.FDs, root.Threads, float64(root.RSS)/(1<<20), len(p.Procs)-1, p.Load1)
}

// leftBehind waits up to 10 s for every process seen below probe to end
// and for probe's socket directories to go; what is still there is killed
// (through a pidfd, checked against its start time) or removed, and
// returned.
func leftBehind(points []Point, tmp string) []string {
	seen := map[int]uint64{}
	for _, p := range points {
		for _, pr := range p.Procs {
			seen[pr.PID] = pr.Start
		}
	}
	var left []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		left = left[:0]
		for pid, start := range seen {
			if alive(pid, start) {
				left = append(left, fmt.Sprintf("process %d", pid))
			}
		}
		dirs, _ := filepath.Glob(filepath.Join(tmp, "probe-run-*"))
		for _, d := range dirs {
			left = append(left, "socket directory "+d)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for pid, start := range seen {
		kill(pid, start)
	}
	return left
}

// alive reports whether pid is still the process that started at start
// (and not a zombie).
func alive(pid int, start uint64) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])) // state ppid ... starttime is field 22
	return len(f) > 19 && f[0] != "Z" && f[19] == fmt.Sprint(start)
}

// kill SIGKILLs pid if it is still the process that started at start.
func kill(pid int, start uint64) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if alive(pid, start) {
		_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

// capped writes at most left bytes to w and drops the rest.
type capped struct {
	w    io.Writer
	left int
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if c.left <= 0 {
		return n, nil
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	c.left -= len(p)
	_, err := c.w.Write(p)
	return n, err
}
