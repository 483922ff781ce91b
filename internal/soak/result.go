//go:build linux

package soak

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Write prints the soak's outcome: the run, the chaos, the table over
// time, the growth checks, each target's verdict, and PASS or FAIL.
func (r *Result) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "probe run: %d of %d probes (%d rounds of %d targets) in %s, %.0f probes/s, exit %d\n",
		r.Probes, r.Rounds*len(r.Targets), r.Rounds, len(r.Targets), r.Elapsed.Round(time.Second),
		float64(r.Probes)/r.Elapsed.Seconds(), r.ExitCode)
	if r.Stopped {
		b.WriteString("STOPPED: the soak was interrupted before probe finished\n")
	}
	if r.Hung {
		b.WriteString("HUNG: probe was still running at the deadline (goroutine dump in its stderr)\n")
	}
	b.WriteString(r.chaosLine())
	b.WriteString("\n")
	if err := writeAll(w, &b); err != nil {
		return err
	}
	if err := writeAccounts(w, r.Accounts()); err != nil {
		return err
	}
	b.WriteString("\n")
	if err := writeAll(w, &b); err != nil {
		return err
	}
	if err := r.Analysis.WriteTable(w); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\ngrowth, median of the first window after warm-up (%.0f%% of the run) -> median of the last window:\n",
		100*r.Analysis.Warmup)
	if err := writeAll(w, &b); err != nil {
		return err
	}
	if err := r.Analysis.WriteChecks(w); err != nil {
		return err
	}
	b.WriteString("\n")
	if err := writeAll(w, &b); err != nil {
		return err
	}
	if err := r.Verdict.Write(&b, 12); err != nil {
		return err
	}
	for _, l := range r.Left {
		fmt.Fprintln(&b, "left behind:", l)
	}
	problems, warnings := r.ChaosProblems()
	for _, p := range problems {
		fmt.Fprintln(&b, "problem:", p)
	}
	for _, p := range warnings {
		fmt.Fprintln(&b, "warning:", p)
	}
	if r.OK() {
		b.WriteString("\nPASS\n")
	} else {
		b.WriteString("\nFAIL\n")
	}
	return writeAll(w, &b)
}

func writeAll(w io.Writer, b *strings.Builder) error {
	_, err := io.WriteString(w, b.String())
	b.Reset()
	return err
}

// chaosLine sums up the events and the CPU time used.
func (r *Result) chaosLine() string {
	count := map[Action]int{}
	var held []time.Duration
	for _, e := range r.Events {
		if e.Err != "" {
			continue
		}
		count[e.Action]++
		if e.Action == ActionPause {
			held = append(held, e.Held)
		}
	}
	slices.Sort(held)
	var b strings.Builder
	fmt.Fprintf(&b, "chaos: %d pauses (SIGSTOP, then SIGCONT", count[ActionPause])
	if len(held) > 0 {
		fmt.Fprintf(&b, " after %s median, %s at most", held[len(held)/2].Round(time.Millisecond), held[len(held)-1].Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "), %d stops (SIGCONT after %s), %d kills\n", count[ActionStop], r.stopHeld(), count[ActionKill])
	fmt.Fprintf(&b, "CPU: probe %.1f s", r.Analysis.CPU[RoleProbe])
	for _, role := range r.Analysis.Roles {
		if role != RoleProbe {
			fmt.Fprintf(&b, ", %s %.1f s", role, r.Analysis.CPU[role])
		}
	}
	b.WriteString(" (user + system, all processes of each)\n")
	return b.String()
}

func (r *Result) stopHeld() time.Duration {
	for _, e := range r.Events {
		if e.Action == ActionStop && e.Err == "" {
			return e.Held.Round(100 * time.Millisecond)
		}
	}
	return 0
}
