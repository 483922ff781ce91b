//go:build linux

package soak

import (
	"strings"
	"testing"
	"time"
)

// Lines as core/pluginhost logs them through hclog.
const restartLog = `2026-11-30T04:27:52.501Z [WARN]  probe: plugin stopped answering; killing it, a new process will replace it: plugin=http pid=18673 error="the plugin did not answer in time"
2026-11-30T04:27:52.511Z [WARN]  probe: restarting plugin: plugin=http pid=18673 reason="stopped answering and was killed" restart=1
2026-11-30T04:29:47.489Z [WARN]  probe: restarting plugin: plugin=http pid=19614 reason=exited restart=2
`

func TestParseRestarts(t *testing.T) {
	got := ParseRestarts(restartLog)
	want := []Restart{{Role: "http", PID: 18673, Hung: true}, {Role: "http", PID: 19614}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParseRestarts = %+v, want %+v", got, want)
	}
}

func TestChaosProblems(t *testing.T) {
	events := []Event{
		{Action: ActionKill, Role: "dns"}, {Action: ActionStop, Role: "dns"},
		{Action: ActionPause, Role: "dns", Held: 300 * time.Millisecond},
		{Action: ActionKill, Role: "dns", Err: "pid 9 is no longer the dns plugin"},
	}
	exited, hung := Restart{Role: "dns"}, Restart{Role: "dns", Hung: true}
	for _, tc := range []struct {
		name               string
		restarts           []Restart
		processes          int
		problems, warnings string
		long               bool // the pause lasted more than a liveness check
	}{
		{"as expected", []Restart{exited, hung}, 3, "", "", false},
		{"a sample missed one", []Restart{exited, hung}, 2, "", "", false},
		{"kill not noticed", []Restart{hung}, 2, "the dns plugin was killed 1 and stopped 1 times (0 of them at the end) but replaced 1 times", "", false},
		{"a crash", []Restart{exited, exited, hung}, 4, "the dns plugin exited 2 times, 1 of them not killed by the soak", "", false},
		{"stop not noticed", []Restart{exited}, 2, "the dns plugin was killed 1 and stopped 1 times (0 of them at the end) but replaced 1 times|the dns plugin was stopped 1 times but declared hung 0 times", "", false},
		{"unlogged replacement", []Restart{exited, hung}, 4, "4 dns plugin processes were seen, but probe logged 2 replacements", "", false},
		{"hung unexplained", []Restart{exited, hung, hung}, 4, "", "the dns plugin was declared hung 2 times with 1 stops and 0 pauses of a second or more to explain it", false},
		{"hung after a long pause", []Restart{exited, hung, hung}, 4, "", "", true},
	} {
		r := &Result{Events: append([]Event(nil), events...), Restarts: tc.restarts, Elapsed: time.Minute}
		if tc.long {
			r.Events[2].Held = 1500 * time.Millisecond
		}
		r.Analysis.PIDs = map[string][]int{"dns": make([]int, tc.processes)}
		problems, warnings := r.ChaosProblems()
		if strings.Join(problems, "|") != tc.problems || strings.Join(warnings, "|") != tc.warnings {
			t.Errorf("%s: problems %q, warnings %q; want %q, %q", tc.name, problems, warnings, tc.problems, tc.warnings)
		}
	}
}

// A kill or stop at the very end of the run need not be followed by a
// replacement: probe may not call the plugin again.
func TestChaosProblemsExcuseTheEnd(t *testing.T) {
	r := &Result{Elapsed: 10 * time.Second, Events: []Event{
		{Action: ActionStop, Role: "tcp", At: 5 * time.Second, Held: 4 * time.Second},
		{Action: ActionKill, Role: "dns", At: 9 * time.Second},
	}}
	r.Analysis.PIDs = map[string][]int{"tcp": {1}, "dns": {2}}
	if problems, warnings := r.ChaosProblems(); len(problems)+len(warnings) > 0 {
		t.Errorf("problems %q, warnings %q; want none", problems, warnings)
	}
	r.Elapsed = time.Minute
	if problems, _ := r.ChaosProblems(); len(problems) != 3 {
		t.Errorf("a minute on: problems %q; want the kill and the stop (twice) unanswered", problems)
	}
}
