//go:build linux

package soak

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/probe-net/probe/core/pluginhost"
)

// Restart is one replacement of a plugin process, as probe logged it.
type Restart struct {
	Role string
	PID  int  // the process replaced
	Hung bool // declared hung (it stopped answering), not exited
}

// restartLine matches the warning core/pluginhost logs when it replaces a
// process: `restarting plugin: plugin=dns pid=123 reason="exited"`.
var restartLine = regexp.MustCompile(`restarting plugin: plugin=(\S+) pid=(\d+) reason="?([^"=]*)"?`)

// ParseRestarts reads probe's log for replacements.
func ParseRestarts(log string) []Restart {
	var out []Restart
	for _, m := range restartLine.FindAllStringSubmatch(log, -1) {
		pid, _ := strconv.Atoi(m[2])
		out = append(out, Restart{Role: m[1], PID: pid, Hung: strings.HasPrefix(m[3], "stopped answering")})
	}
	return out
}

// Account sets what chaos did to one plugin against how probe replaced it.
type Account struct {
	Role      string
	Kills     int // SIGKILLs that reached a process
	Stops     int // SIGSTOPs held for ChaosOptions.LongStop
	Late      int // kills and stops too close to the end of the run to need a replacement
	Pauses    int
	Long      int // pauses that, on a busy machine, lasted a liveness check or more
	Exited    int // replacements of a process that exited, as probe logged them
	Hung      int // replacements of a process declared hung
	Processes int // distinct processes sampled
}

// Accounts is one Account per plugin phase, by name.
func (r *Result) Accounts() []Account {
	acc := map[string]*Account{}
	get := func(role string) *Account {
		if acc[role] == nil {
			acc[role] = &Account{Role: role}
		}
		return acc[role]
	}
	for role, pids := range r.Analysis.PIDs {
		get(role).Processes = len(pids)
	}
	for _, e := range r.Events {
		a := get(e.Role)
		if e.Err == "" && e.Action != ActionPause && e.At+e.Held+settle > r.Elapsed {
			a.Late++
		}
		switch {
		case e.Err != "":
		case e.Action == ActionKill:
			a.Kills++
		case e.Action == ActionStop:
			a.Stops++
		case e.Held >= pluginhost.LivenessTimeout:
			a.Pauses++
			a.Long++
		default:
			a.Pauses++
		}
	}
	for _, rs := range r.Restarts {
		if rs.Hung {
			get(rs.Role).Hung++
		} else {
			get(rs.Role).Exited++
		}
	}
	var out []Account
	for _, a := range acc {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Role < out[j].Role })
	return out
}

// settle is how long after a kill, or the end of a stop, the run must go
// on for probe to have replaced the plugin: the next call to it (rounds
// follow each other at once) or the liveness check after a call's
// budget, grace and LivenessTimeout.
const settle = 2 * time.Second

// ChaosProblems holds every plugin to the README's promises: a killed
// plugin is replaced (as exited), a stopped one is declared hung and
// replaced, and nothing else exits. Problems fail the soak. A plugin
// declared hung with no stop to explain it is a warning: a process
// starved of CPU for longer than the liveness check on a busy machine
// looks the same as a deadlock to probe, and to the soak.
func (r *Result) ChaosProblems() (problems, warnings []string) {
	for _, a := range r.Accounts() {
		if a.Exited+a.Hung < a.Kills+a.Stops-a.Late {
			problems = append(problems, fmt.Sprintf("the %s plugin was killed %d and stopped %d times (%d of them at the end) but replaced %d times",
				a.Role, a.Kills, a.Stops, a.Late, a.Exited+a.Hung))
		}
		if a.Exited > a.Kills {
			problems = append(problems, fmt.Sprintf("the %s plugin exited %d times, %d of them not killed by the soak", a.Role, a.Exited, a.Exited-a.Kills))
		}
		if a.Hung < a.Stops-a.Late {
			problems = append(problems, fmt.Sprintf("the %s plugin was stopped %d times but declared hung %d times", a.Role, a.Stops, a.Hung))
		}
		if a.Processes > 1+a.Exited+a.Hung { // fewer: one lived less than a sample interval
			problems = append(problems, fmt.Sprintf("%d %s plugin processes were seen, but probe logged %d replacements", a.Processes, a.Role, a.Exited+a.Hung))
		}
		if a.Hung > a.Stops+a.Long {
			warnings = append(warnings, fmt.Sprintf("the %s plugin was declared hung %d times with %d stops and %d pauses of a second or more to explain it",
				a.Role, a.Hung, a.Stops, a.Long))
		}
	}
	return problems, warnings
}

func writeAccounts(w io.Writer, accounts []Account) error {
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "plugin\tkilled\tstopped\tpaused\t(>=1s)\treplaced: exited\thung\tprocesses\t")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", a.Role, a.Kills, a.Stops, a.Pauses, a.Long, a.Exited, a.Hung, a.Processes)
	}
	return tw.Flush()
}
