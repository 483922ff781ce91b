package benchsuite

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// throughputTable collects the throughput section's batches.
type throughputTable struct {
	order []string
	rate  map[string][]float64                  // "variant c" → probes/s of each batch
	cpu   map[string][]float64                  // cpu-ms per probe
	own   map[string]map[string][]time.Duration // variant → phase → own durations at c=1
}

func newThroughputTable() *throughputTable {
	return &throughputTable{rate: map[string][]float64{}, cpu: map[string][]float64{}, own: map[string]map[string][]time.Duration{}}
}

func key(name string, c int) string { return fmt.Sprintf("%s %d", name, c) }

func (t *throughputTable) add(name string, c int, r Result) {
	if !slices.Contains(t.order, name) {
		t.order = append(t.order, name)
	}
	k := key(name, c)
	t.rate[k] = append(t.rate[k], r.PerSecond())
	t.cpu[k] = append(t.cpu[k], float64(r.Usage.CPU)/1e6/float64(max(r.Probes, 1)))
	if c == 1 && r.Own != nil {
		if t.own[name] == nil {
			t.own[name] = map[string][]time.Duration{}
		}
		for ph, ds := range r.Own {
			t.own[name][ph] = append(t.own[name][ph], ds...)
		}
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread formats the median and range of xs.
func spread(xs []float64, format string) string {
	if len(xs) == 0 {
		return "-"
	}
	m := fmt.Sprintf(format, median(xs))
	if len(xs) == 1 {
		return m
	}
	return fmt.Sprintf("%s ["+format+"-"+format+"]", m, slices.Min(xs), slices.Max(xs))
}

func (t *throughputTable) write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "\nvariant\tc=1 probes/s [range]\tcpu-ms/probe\tc=64 probes/s [range]\tcpu-ms/probe")
	for _, name := range t.order {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name,
			spread(t.rate[key(name, 1)], "%.0f"), spread(t.cpu[key(name, 1)], "%.2f"),
			spread(t.rate[key(name, 64)], "%.0f"), spread(t.cpu[key(name, 64)], "%.2f"))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRATIOS of median probes/s (cpu-ms/probe ratio in parentheses: steadier when the machine is shared)")
	tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "\tc=1\tc=64\ttarget")
	for _, hosts := range []string{"names", "IP"} {
		t.ratio(tw, "probe/"+hosts, "in-process/"+hosts, ">= 0.6 at c=1, >= 0.8 at c=64")
		t.ratio(tw, "probe/"+hosts, "blackbox/"+hosts, ">= 1.5 at c=64")
	}
	tw.Flush()
	t.writePhases(w)
}

// ratio writes a/b for both concurrencies, if both were measured.
func (t *throughputTable) ratio(w io.Writer, a, b, target string) {
	if !slices.Contains(t.order, a) || !slices.Contains(t.order, b) {
		return
	}
	cell := func(c int) string {
		ra, rb := median(t.rate[key(a, c)]), median(t.rate[key(b, c)])
		ca, cb := median(t.cpu[key(a, c)]), median(t.cpu[key(b, c)])
		if rb == 0 || ca == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f (%.2f)", ra/rb, cb/ca)
	}
	fmt.Fprintf(w, "%s / %s\t%s\t%s\t%s\n", a, b, cell(1), cell(64), target)
}

// writePhases compares each phase's own p50 at c=1.
func (t *throughputTable) writePhases(w io.Writer) {
	for _, hosts := range []string{"names", "IP"} {
		in, pr := t.own["in-process/"+hosts], t.own["probe/"+hosts]
		if in == nil || pr == nil {
			continue
		}
		fmt.Fprintf(w, "\nPHASES at c=1 (%s): p50 of each phase's own measurement, ms; target: probe within +0.05 ms of in-process\n", hosts)
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "phase\tin-process\tprobe\tdifference")
		for _, ph := range Chain {
			if len(in[ph]) == 0 || len(pr[ph]) == 0 {
				continue
			}
			a, b := P50(in[ph]), P50(pr[ph])
			fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%+.3f\n", ph, ms(a), ms(b), ms(b-a))
		}
		tw.Flush()
	}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
