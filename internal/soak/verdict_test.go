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
		{Kind: Kind{Name: "refused", Phase: sdk.PhaseTCP, Error: sdk.KindRefused}, ID: "refused-1"},
	}
}

// doc writes a probe.run/v1 document for the two targets above.
func doc(healthyOK, refusedOK, refused, restarts int) string {
	return fmt.Sprintf(`{"schema": "probe.run/v1", "targets": [
  {"name": "healthy-http-1", "probes": 100, "ok": %d, "phases": [
    {"phase": "dns", "errors": [{"kind": "plugin", "message": "m", "cause": "plugin \"dns\" exited", "count": %d}]}]},
  {"name": "refused-1", "probes": 100, "ok": %d, "phases": [
    {"phase": "tcp", "errors": [{"kind": "refused", "message": "m", "cause": "refused", "count": %d}]}]}],
 "plugins": [{"phase": "dns", "pid": 1, "restarts": %d}]}`, healthyOK, 100-healthyOK, refusedOK, refused, restarts)
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name     string
		doc      string
		rounds   int
		problems string // the problems found, joined
	}{
		{"as expected", doc(95, 0, 100, 1), 100, ""},
		{"a hostile target succeeded", doc(95, 1, 99, 0), 100, "refused-1: 1 probes succeeded against a server that failed at tcp with refused"},
		{"too few healthy", doc(70, 0, 100, 0), 100, "healthy-http-1: only 70 of 100 probes succeeded"},
		{"probes missing", doc(95, 0, 100, 0), 101, "healthy-http-1: 100 probes reported, 101 run|refused-1: 100 probes reported, 101 run"},
	} {
		v, err := Judge(strings.NewReader(tc.doc), judgeTargets(), tc.rounds)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
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
	v, _ := Judge(strings.NewReader(doc(95, 0, 100, 2)), judgeTargets(), 100)
	if v.Restarts["dns"] != 2 || len(v.Others) != 1 || v.Others[0].Count != 5 {
		t.Errorf("restarts %v, other causes %+v", v.Restarts, v.Others)
	}
}

func TestJudgeNamesAMissingTargetAndBadJSON(t *testing.T) {
	v, err := Judge(strings.NewReader(`{"targets": [], "plugins": []}`), judgeTargets(), 1)
	if err != nil || v.OK() || len(v.Problems) != 2 {
		t.Errorf("empty report: %v, problems %q", err, v.Problems)
	}
	if _, err := Judge(strings.NewReader("interrupted"), judgeTargets(), 1); err == nil {
		t.Error("a report that is not JSON was accepted")
	}
}
