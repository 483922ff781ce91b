package benchsuite

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/probe-net/probe/core/session"
)

// Options configure Run.
type Options struct {
	// Probe is the probe binary: its plugins serve the "probe" variant, and
	// it is the command the scale and cold-start sections run.
	Probe string
	// Full runs the recorded sizes (1k/10k/100k targets, more probes per
	// batch); false runs the smoke size CI uses.
	Full bool
	// Reps is how many times each comparison runs, interleaved (A, B, C,
	// A, B, C, ...); medians are reported.
	Reps int
	// Sections to run: "throughput", "scale", "coldstart"; empty is all.
	Sections []string
	// Concurrency restricts the throughput section to these (1 and/or 64).
	Concurrency []int
	// Variants restricts the throughput section to variants whose name
	// starts with one of these ("probe", "in-process/IP").
	Variants []string
	// Scale overrides the scale section's target counts.
	Scale []int
	// PluginEnv is added to the plugin processes' environment.
	PluginEnv []string
	// Report receives the human-readable report; Raw, if set, receives
	// every measurement in Go benchmark format, for benchstat.
	Report, Raw io.Writer
}

// sizes are the batch sizes of one run.
type sizes struct {
	c1, c64 int   // probes per throughput batch at concurrency 1 and 64
	scale   []int // target counts of the scale section
	cold    int   // cold-start runs of each command
}

func (o Options) sizes() sizes {
	sz := sizes{c1: 10, c64: 64, scale: []int{100}, cold: 2}
	if o.Full {
		sz = sizes{c1: 500, c64: 2000, scale: []int{1000, 10000, 100000}, cold: 20}
	}
	if len(o.Scale) > 0 {
		sz.scale = o.Scale
	}
	return sz
}

func (o Options) concurrencies() []int {
	if len(o.Concurrency) > 0 {
		return o.Concurrency
	}
	return []int{1, 64}
}

func (o Options) wants(section string) bool {
	return len(o.Sections) == 0 || slices.Contains(o.Sections, section)
}

// Run runs the suite against loopback servers it starts, and writes the
// report. It returns an error only when the suite itself could not run.
func Run(ctx context.Context, o Options) error {
	if o.Reps < 1 {
		o.Reps = 1
	}
	if o.Raw == nil {
		o.Raw = io.Discard
	}
	header(o.Report)
	l, err := StartLoopback(LoopbackOptions{Addresses: 64, DNSPort53: os.Geteuid() == 0 && FindBlackbox() != ""})
	if err != nil {
		return err
	}
	defer l.Close()
	if o.wants("throughput") {
		if err := throughputSection(ctx, o, l); err != nil {
			return err
		}
	}
	if o.wants("scale") {
		if err := scaleSection(ctx, o, l); err != nil {
			return err
		}
	}
	if o.wants("coldstart") {
		if err := coldStartSection(ctx, o, l); err != nil {
			return err
		}
	}
	return nil
}

func header(w io.Writer) {
	host, _ := os.Hostname()
	fmt.Fprintf(w, "probe bench suite, %s, %s/%s, %d CPUs, %s, host %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), host)
	fmt.Fprintf(w, "cpu: %s\n", cpuModel())
	fmt.Fprintf(w, "load average at start: %s\n", LoadAverage())
	fmt.Fprintln(w, "Every server is on 127.0.0.0/8, in a process of its own started by the suite; nothing else is probed.")
	fmt.Fprintln(w, "cpu-ms/probe: CPU time of the prober's processes (not the servers'): this process and probe's plugins, or blackbox_exporter and this process driving it.")
}

// LoadAverage is /proc/loadavg's first three fields.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// variant is one way of probing the loopback targets.
type variant struct {
	name    string
	literal bool
	run     func(ctx context.Context, first, n, concurrency int) Result
}

// throughputSection compares the variants at concurrency 1 and 64.
func throughputSection(ctx context.Context, o Options, l *Loopback) error {
	w := o.Report
	sz := o.sizes()
	vs, cleanup, notes, err := variants(ctx, o, l)
	defer cleanup()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nTHROUGHPUT: https targets, dns -> tcp -> tls (verified) -> HEAD, a new connection and a full handshake every probe;\n")
	fmt.Fprintf(w, "each target name is new (no DNS cache anywhere). %d interleaved repetitions, medians; batches of %d (c=1) and %d (c=64) probes.\n", o.Reps, sz.c1, sz.c64)
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
	if len(o.Variants) > 0 {
		vs = slices.DeleteFunc(vs, func(v variant) bool {
			return !slices.ContainsFunc(o.Variants, func(p string) bool { return strings.HasPrefix(v.name, p) })
		})
	}
	tab := newThroughputTable()
	next := 0
	for _, c := range o.concurrencies() {
		n := map[int]int{1: sz.c1, 64: sz.c64}[c]
		for rep := 0; rep < o.Reps; rep++ {
			for _, v := range vs {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				r := runAt(ctx, v, next, n, c)
				next += n
				tab.add(v.name, c, r)
				writeRaw(o.Raw, v.name, c, r)
				if r.Failed > 0 {
					fmt.Fprintf(w, "  %s c=%d: %d of %d probes failed; first: %s\n", v.name, c, r.Failed, r.Probes, r.FirstErr)
				}
			}
		}
	}
	tab.write(w)
	return nil
}

// runAt runs one batch of v. At concurrency 1 this process runs on one P,
// as probe run does for a run of one target at a time (unless GOMAXPROCS
// is set); it changes nothing measurable for the in-process baseline and
// the exporter is a process of its own.
func runAt(ctx context.Context, v variant, first, n, c int) Result {
	if _, set := os.LookupEnv("GOMAXPROCS"); c == 1 && !set {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	}
	return v.run(ctx, first, n, c)
}

// variants starts what the throughput section compares. cleanup stops it
// all, whatever err says.
func variants(ctx context.Context, o Options, l *Loopback) (vs []variant, cleanup func(), notes []string, err error) {
	var closers []func()
	cleanup = func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	self := []int{os.Getpid()}
	ip, err := l.InProcess()
	if err != nil {
		return nil, cleanup, nil, err
	}
	s, err := l.Plugins(ctx, o.Probe, o.PluginEnv)
	if s != nil {
		closers = append(closers, func() { s.Close() })
	}
	if err != nil {
		return nil, cleanup, nil, fmt.Errorf("starting probe's plugins: %w", err)
	}
	pids := append(slices.Clone(self), sessionPIDs(s)...)
	for _, literal := range []bool{false, true} {
		suffix := map[bool]string{false: "names", true: "IP"}[literal]
		vs = append(vs,
			variant{"in-process/" + suffix, literal, func(ctx context.Context, first, n, c int) Result {
				return Throughput(ctx, ip, l.Targets(first, n, literal), c, self)
			}},
			variant{"probe/" + suffix, literal, func(ctx context.Context, first, n, c int) Result {
				return Throughput(ctx, s, l.Targets(first, n, literal), c, pids)
			}})
	}
	bin := FindBlackbox()
	if bin == "" {
		notes = append(notes, fmt.Sprintf("blackbox_exporter is not installed (looked for %s on PATH; Debian: apt-get install prometheus-blackbox-exporter): no comparison with it", strings.Join(BlackboxBinary, ", ")))
		return vs, cleanup, notes, nil
	}
	bb, note, err := StartBlackbox(ctx, bin, l)
	if note != "" {
		notes = append(notes, note)
	}
	if err != nil {
		notes = append(notes, fmt.Sprintf("blackbox_exporter (%s) did not start: %v", bin, err))
		return vs, cleanup, notes, nil
	}
	closers = append(closers, func() { bb.Close() })
	notes = append(notes, fmt.Sprintf("blackbox_exporter: %s (%s), module http with method HEAD, fail_if_not_ssl, the bench CA; driven over HTTP /probe from this process", bin, blackboxVersion(bin)))
	bbPIDs := append(slices.Clone(self), bb.PID)
	for _, literal := range []bool{false, true} {
		if !literal && !bb.Names {
			continue
		}
		suffix := map[bool]string{false: "names", true: "IP"}[literal]
		vs = append(vs, variant{"blackbox/" + suffix, literal, func(ctx context.Context, first, n, c int) Result {
			return bb.Throughput(ctx, l.TargetURLs(first, n, literal), c, bbPIDs)
		}})
	}
	slices.SortStableFunc(vs, func(a, b variant) int { return boolCmp(a.literal, b.literal) })
	return vs, cleanup, notes, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func sessionPIDs(s *session.Session) []int {
	var out []int
	for _, p := range s.Plugins() {
		out = append(out, p.PID)
	}
	return out
}

func blackboxVersion(bin string) string {
	out, err := runQuiet(bin, "--version")
	if err != nil {
		return "version unknown"
	}
	first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	return first
}

// writeRaw records r in Go benchmark format.
func writeRaw(w io.Writer, name string, c int, r Result) {
	if r.Probes == 0 {
		return
	}
	fmt.Fprintf(w, "BenchmarkThroughput/c=%d/%s %d %d ns/op %.2f probes/s %.4f cpu-ms/op %.1f switches/op\n",
		c, name, r.Probes, r.Elapsed.Nanoseconds()/int64(r.Probes), r.PerSecond(),
		float64(r.Usage.CPU)/1e6/float64(r.Probes), float64(r.Usage.Switches)/float64(r.Probes))
}
