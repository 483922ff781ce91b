package benchsuite

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"text/tabwriter"
	"time"
)

// coldStartSection times `probe test 127.0.0.1 PORT https` against
// `curl -I` to the same server, interleaved.
func coldStartSection(ctx context.Context, o Options, l *Loopback) error {
	w := o.Report
	port := strconv.Itoa(l.HTTPSPort)
	probe := []string{o.Probe, "test", "127.0.0.1", port, "https", "--ca-file", l.CAFile}
	curl := []string{"curl", "-sS", "-o", "/dev/null", "-I", "--cacert", l.CAFile, "https://127.0.0.1:" + port + "/"}
	fmt.Fprintf(w, "\nCOLD START: wall time of one whole command, %d interleaved runs each after one untimed run, medians\n", o.sizes().cold)
	cmds := [][]string{probe}
	if _, err := exec.LookPath("curl"); err == nil {
		cmds = append(cmds, curl)
	} else {
		fmt.Fprintln(w, "note: curl is not installed (Debian: apt-get install curl): no comparison")
	}
	times := make([][]float64, len(cmds))
	for rep := -1; rep < o.sizes().cold; rep++ {
		for i, c := range cmds {
			d, err := timeCommand(ctx, c)
			if err != nil {
				return fmt.Errorf("%s: %w", c[0], err)
			}
			if rep >= 0 {
				times[i] = append(times[i], ms(d))
				fmt.Fprintf(o.Raw, "BenchmarkColdStart/%s 1 %d ns/op\n", map[int]string{0: "probe-test", 1: "curl"}[i], d.Nanoseconds())
			}
		}
	}
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "command\tms [range]")
	fmt.Fprintf(tw, "probe test 127.0.0.1 PORT https --ca-file CA\t%s\n", spread(times[0], "%.1f"))
	if len(cmds) > 1 {
		fmt.Fprintf(tw, "curl -sSI --cacert CA https://127.0.0.1:PORT/\t%s\n", spread(times[1], "%.1f"))
		fmt.Fprintf(tw, "ratio probe test / curl\t%.2f\t(target <= 1.5)\n", median(times[0])/median(times[1]))
	}
	return tw.Flush()
}

func timeCommand(ctx context.Context, argv []string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out tail
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%v: %s", err, out.String())
	}
	return d, nil
}
