//go:build linux

package soak

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Write prints the soak's outcome: the run, the chaos, the table over
// time, the growth checks, each target's verdict, and PASS or FAIL.
func (r *Result) Write(w io.Writer) error {
	var b strings.Builder
	probes := r.Rounds * len(r.Targets)
	fmt.Fprintf(&b, "probe run: %d probes (%d rounds of %d targets) in %s, %.0f probes/s, exit %d\n",
		probes, r.Rounds, len(r.Targets), r.Elapsed.Round(time.Second), float64(probes)/r.Elapsed.Seconds(), r.ExitCode)
	if r.Hung {
		b.WriteString("HUNG: probe was still running at the deadline (goroutine dump in its stderr)\n")
	}
	b.WriteString(r.chaosLine())
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
	for _, p := range r.ChaosProblems() {
		fmt.Fprintln(&b, "problem:", p)
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

// chaosLine sums up the events, the restarts probe counted and the plugin
// processes seen, per phase.
func (r *Result) chaosLine() string {
	count := map[Action]int{}
	var longest time.Duration
	perRole := map[string][]string{}
	for _, e := range r.Events {
		if e.Err != "" {
			continue
		}
		count[e.Action]++
		if e.Action == ActionPause {
			longest = max(longest, e.Held)
		}
		if e.Action != ActionPause {
			perRole[e.Role] = append(perRole[e.Role], string(e.Action))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chaos: %d pauses (SIGSTOP, SIGCONT within %s), %d stops (SIGCONT after %s), %d kills\n",
		count[ActionPause], longest.Round(time.Millisecond), count[ActionStop], r.stopHeld(), count[ActionKill])
	var roles []string
	for role := range r.Analysis.PIDs {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	for _, role := range roles {
		fmt.Fprintf(&b, "  %-5s %d processes (%d replacements), %.1f s CPU; chaos: %s\n", role,
			len(r.Analysis.PIDs[role]), len(r.Analysis.PIDs[role])-1, r.Analysis.CPU[role], orNone(perRole[role]))
	}
	fmt.Fprintf(&b, "  probe %.1f s CPU\n", r.Analysis.CPU[RoleProbe])
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

func orNone(s []string) string {
	if len(s) == 0 {
		return "pauses only"
	}
	return strings.Join(s, ", ")
}

// ChaosProblems compares the plugin processes seen with what chaos did:
// each phase's replacements must number at least its kills (a killed
// plugin is replaced) and at most its kills and stops (a pause, shorter
// than the liveness check, must not get a plugin replaced).
func (r *Result) ChaosProblems() []string {
	kills, stops := map[string]int{}, map[string]int{}
	for _, e := range r.Events {
		switch {
		case e.Err != "":
		case e.Action == ActionKill:
			kills[e.Role]++
		case e.Action == ActionStop:
			stops[e.Role]++
		}
	}
	var out []string
	for role, pids := range r.Analysis.PIDs {
		replaced := len(pids) - 1
		if replaced < kills[role] {
			out = append(out, fmt.Sprintf("the %s plugin was killed %d times but replaced %d times", role, kills[role], replaced))
		}
		if replaced > kills[role]+stops[role] {
			out = append(out, fmt.Sprintf("the %s plugin was replaced %d times after %d kills and %d stops: a pause got it replaced",
				role, replaced, kills[role], stops[role]))
		}
	}
	sort.Strings(out)
	return out
}
