//go:build linux

package soak

import (
	"fmt"
	"strings"
	"testing"

	"github.com/probe-net/probe/sdk"
)

func judgeTargets() []Target {
	return []Target{
		{Kind: Kind{Name: "healthy-http"}, ID: "healthy-http-1"},
		{Kind: Kind{Name: "refused", Phase: sdk.PhaseTCP, Error: sdk.KindRefused, Timeout: ShortTimeout}, ID: "refused-1"},
	}
}

// line is one NDJSON sample: ok, or failed at phase with kind.
func line(target string, wallMS float64, phase, kind string) string {
	if phase == "" {
		return fmt.Sprintf(`{"schema": "probe.sample/v1", "target": %q, "ok": true, "failed_phase": null, "wall_ms": %g, "phases": [{"phase": "tcp", "error": null}]}`+"\n", target, wallMS)
	}
	return fmt.Sprintf(`{"schema": "probe.sample/v1", "target": %q, "ok": false, "failed_phase": %q, "wall_ms": %g, "phases": [{"phase": %q, "error": {"kind": %q, "message": "m \u001b]0;x\u0007"}}]}`+"\n", target, phase, wallMS, phase, kind)
}

// lines makes n samples of each target: healthy ones succeed but for
// sick, refused ones fail as expected but for odd (which succeed).
func lines(n, sick, odd int, wallMS float64) string {
	var b strings.Builder
	for i := range n {
		if i < sick {
			b.WriteString(line("healthy-http-1", 1, "dns", "plugin"))
		} else {
			b.WriteString(line("healthy-http-1", 1, "", ""))
		}
		if i < odd {
			b.WriteString(line("refused-1", 1, "", ""))
		} else {
			b.WriteString(line("refused-1", wallMS, "tcp", "refused"))
		}
	}
	return b.String()
}

func TestTallyJudges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ndjson   string
		rounds   int
		problems string // the problems found, joined
	}{
		{"as expected", lines(100, 5, 0, 2), 100, ""},
		{"a hostile target succeeded", lines(100, 0, 1, 2), 100, "refused-1: 1 probes succeeded against a server that failed at tcp with refused"},
		{"too few healthy", lines(100, 30, 0, 2), 100, "healthy-http-1: only 70 of 100 probes succeeded"},
		{"probes missing", lines(100, 0, 0, 2), 101, "healthy-http-1: 100 probes reported of 101|refused-1: 100 probes reported of 101"},
		{"over the bound", lines(10, 0, 0, 1051), 10, "refused-1: 10 probes took longer than 1.05s (the longest 1.051s)"},
	} {
		tally := NewTally(judgeTargets())
		if err := tally.Read(strings.NewReader(tc.ndjson)); err != nil {
			t.Fatal(err)
		}
		v := tally.Verdict(tc.rounds)
		var got []string
		for _, tr := range v.Targets {
			for _, p := range tr.Problems {
				got = append(got, tr.ID+": "+p)
			}
		}
		if strings.Join(got, "|") != tc.problems || v.OK() != (tc.problems == "") {
			t.Errorf("%s: problems %q (ok %v), want %q", tc.name, got, v.OK(), tc.problems)
		}
	}
}

func TestTallyGroupsOtherFailuresAndEscapesThem(t *testing.T) {
	tally := NewTally(judgeTargets())
	if err := tally.Read(strings.NewReader(lines(100, 5, 0, 2))); err != nil {
		t.Fatal(err)
	}
	if tally.Probes() != 200 {
		t.Errorf("%d probes folded, want 200", tally.Probes())
	}
	v := tally.Verdict(100)
	if len(v.Others) != 1 || v.Others[0].Count != 5 || v.Others[0].Phase != "dns" || v.Others[0].Kind != "plugin" {
		t.Fatalf("other causes %+v; want 5 dns plugin failures", v.Others)
	}
	var b strings.Builder
	if err := v.Write(&b, 10); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") {
		t.Errorf("a control character from a message reached the output:\n%q", b.String())
	}
}

// Lines that are not samples of the soak's targets, and lines too long to
// keep, are problems of the run.
func TestTallyRejectsStrangeLines(t *testing.T) {
	tally := NewTally(judgeTargets())
	long := `{"target": "healthy-http-1", "ok": true, "note": "` + strings.Repeat("x", maxLine) + `"}` + "\n"
	in := "interrupted\n" + line("elsewhere", 1, "", "") + long + line("healthy-http-1", 1, "", "")
	if err := tally.Read(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	v := tally.Verdict(1)
	if tally.Probes() != 1 || len(v.Problems) != 1 || !strings.HasPrefix(v.Problems[0], "3 lines") {
		t.Errorf("probes %d, problems %q; want 1 probe and the 3 strange lines", tally.Probes(), v.Problems)
	}
}
