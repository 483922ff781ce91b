package benchsuite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

// scaleSection runs `probe run` over ever larger targets files, one probe
// per target, and reports time and peak memory.
func scaleSection(ctx context.Context, o Options, l *Loopback) error {
	w := o.Report
	fmt.Fprintf(w, "\nSCALE: `probe run FILE --count 1 --concurrency 256` (table output), one probe per target, https targets with distinct names\n")
	fmt.Fprintf(w, "over %d loopback addresses. Memory: peak RSS of probe itself (getrusage); the sum of its plugin processes' peak RSS\n", len(l.Addrs))
	fmt.Fprintln(w, "(VmHWM, which counts the pages of the shared probe binary in each); peak PSS of the whole process tree (smaps_rollup), sampled every 50 ms.")
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "targets\tfailed\twall s\tms/target\tprobe MB\tplugins MB\ttree PSS MB\tKB/target (probe)")
	dir, err := os.MkdirTemp("", "probe-bench-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, n := range o.sizes().scale {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		file := filepath.Join(dir, fmt.Sprintf("targets-%d.hcl", n))
		if err := WriteTargetsFile(file, l, n); err != nil {
			return err
		}
		r, err := runScale(ctx, o.Probe, file)
		if err != nil {
			return fmt.Errorf("scale %d: %w", n, err)
		}
		failed := fmt.Sprint(r.failed)
		if r.failed < 0 {
			failed = "some"
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.3f\t%.1f\t%.1f\t%.1f\t%.1f\n", n, failed, r.wall.Seconds(),
			ms(r.wall)/float64(n), mb(r.probeRSS), mb(r.pluginsRSS), mb(r.treePSS), float64(r.probeRSS)/1024/float64(n))
		fmt.Fprintf(o.Raw, "BenchmarkScale/targets=%d 1 %d ns/op %.1f probe-MB %.1f plugins-MB %.1f tree-PSS-MB\n",
			n, r.wall.Nanoseconds(), mb(r.probeRSS), mb(r.pluginsRSS), mb(r.treePSS))
		if r.failed != 0 {
			fmt.Fprintf(tw, "\tfirst failure: %s\n", r.firstErr)
		}
	}
	return tw.Flush()
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// WriteTargetsFile writes a targets file with n https targets of l,
// named as Loopback.Targets names them.
func WriteTargetsFile(path string, l *Loopback, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "plugin \"dns\" {\n  config {\n    servers = [%q]\n  }\n}\n\n", l.DNSAddr)
	fmt.Fprintf(bw, "plugin \"tls\" {\n  config {\n    ca_file = %q\n  }\n}\n", l.CAFile)
	for i := range n {
		fmt.Fprintf(bw, "\ntarget \"t%06d\" {\n  host     = %q\n  port     = %d\n  protocol = \"https\"\n}\n", i, Name(i), l.HTTPSPort)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type scaleResult struct {
	wall                          time.Duration
	probeRSS, pluginsRSS, treePSS int64 // bytes
	failed                        int
	firstErr                      string
}

// runScale runs probe over file and measures it.
func runScale(ctx context.Context, probe, file string) (scaleResult, error) {
	cmd := exec.CommandContext(ctx, probe, "run", file, "--count", "1", "--concurrency", "256")
	var stdout, stderr tail
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return scaleResult{}, err
	}
	peaks := watchChildren(cmd.Process.Pid)
	err := cmd.Wait()
	r := scaleResult{wall: time.Since(start)}
	r.pluginsRSS, r.treePSS = peaks()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.probeRSS = ru.Maxrss * 1024
	}
	if code := cmd.ProcessState.ExitCode(); err != nil && code != 1 {
		return r, fmt.Errorf("%v: %s", err, stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code == 1 {
		r.failed, r.firstErr = -1, firstFailure(stdout.String())
	}
	return r, nil
}

// firstFailure is the first line of the table's failures section.
func firstFailure(table string) string {
	_, after, ok := strings.Cut(table, "failures:\n")
	if !ok {
		return "(probe exited 1; no failures section in the last 4 KB of its output)"
	}
	line, _, _ := strings.Cut(after, "\n")
	return strings.TrimSpace(line)
}

// watchChildren samples the peak RSS (VmHWM) of pid's children and the
// PSS of pid and its children until the returned function is called; that
// returns the sum of the children's peaks and the peak of the tree's PSS.
func watchChildren(pid int) func() (int64, int64) {
	stop := make(chan struct{})
	var mu sync.Mutex
	peak := map[int]int64{}
	var treePeak int64
	sample := func() {
		tree := pss(pid)
		for _, child := range children(pid) {
			tree += pss(child)
			if hwm := vmHWM(child); hwm > 0 {
				mu.Lock()
				peak[child] = max(peak[child], hwm)
				mu.Unlock()
			}
		}
		mu.Lock()
		treePeak = max(treePeak, tree)
		mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (int64, int64) {
		close(stop)
		<-done
		var sum int64
		for _, p := range peak {
			sum += p
		}
		return sum, treePeak
	}
}

// pss is a process's proportional set size in bytes: its private pages
// plus its share of pages it shares (the probe binary's, with its
// plugins); 0 if unknown.
func pss(pid int) int64 {
	return statusKB(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
}

// children lists pid's child processes, each once.
func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// vmHWM is a process's peak resident set, in bytes; 0 if unknown.
func vmHWM(pid int) int64 {
	return statusKB(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:")
}

// statusKB reads a "Name:   123 kB" line of a /proc file, in bytes.
func statusKB(path, name string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// tail keeps the last 4 KB written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string { return strings.TrimSpace(string(t.b)) }

// runQuiet runs a command and returns its combined output.
func runQuiet(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
