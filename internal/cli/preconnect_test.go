//go:build linux

package cli_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// phaseLine is one parsed line of preconnect's streaming output.
type phaseLine struct {
	target, phase, status string
	ms                    float64 // 0 when the line shows no time
	detail                string
}

var phaseLineRE = regexp.MustCompile(`^(\S+) +(\S+) +(ok|FAILED|skipped|reused) +(?:([0-9.]+) ms|-)? *(.*)$`)

// phaseLines parses the phase and total lines, up to the blank line before
// the tally.
func phaseLines(t *testing.T, out string) []phaseLine {
	t.Helper()
	var lines []phaseLine
	for _, text := range strings.Split(out, "\n") {
		if text == "" {
			break
		}
		m := phaseLineRE.FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("unexpected line %q in:\n%s", text, out)
		}
		l := phaseLine{target: m[1], phase: m[2], status: m[3], detail: m[5]}
		if m[4] != "" {
			l.ms, _ = strconv.ParseFloat(m[4], 64)
		}
		lines = append(lines, l)
	}
	return lines
}

// byTarget groups lines by target, keeping their order.
func byTarget(lines []phaseLine) map[string][]phaseLine {
	out := map[string][]phaseLine{}
	for _, l := range lines {
		out[l.target] = append(out[l.target], l)
	}
	return out
}

// wantLine is a phase, its status and a pattern its detail must match.
type wantLine struct{ phase, status, detail string }

var goodChains = map[string][]wantLine{
	"web": {
		{"dns", "ok", `^127\.0\.0\.1$`}, {"tcp", "ok", `^127\.0\.0\.1:\d+$`},
		{"http", "ok", `^HTTP/1\.1 200$`}, {"total", "ok", `^connected$`},
	},
	"secure": {
		{"dns", "ok", `^127\.0\.0\.1$`}, {"tcp", "ok", `^127\.0\.0\.1:\d+$`}, {"tls", "ok", `^TLS 1\.3 TLS_\w+$`},
		{"http", "ok", `^HTTP/1\.1 200$`}, {"total", "ok", `^connected$`},
	},
	"raw": {
		{"dns", "skipped", `^host is an IP address$`}, {"tcp", "ok", `^127\.0\.0\.1:\d+$`}, {"total", "ok", `^connected$`},
	},
}

var badChains = map[string][]wantLine{
	"missing": {
		{"dns", "FAILED", `^nxdomain: missing\.probe\.test does not exist`}, {"total", "FAILED", `^failed at dns$`},
	},
	"closed": {
		{"dns", "skipped", `^host is an IP address$`}, {"tcp", "FAILED", `^refused: .*connection refused`},
		{"total", "FAILED", `^failed at tcp$`},
	},
}

func checkChains(t *testing.T, got map[string][]phaseLine, want map[string][]wantLine) {
	t.Helper()
	for name, chain := range want {
		lines := got[name]
		if len(lines) != len(chain) {
			t.Errorf("%s: %d lines, want %d: %+v", name, len(lines), len(chain), lines)
			continue
		}
		for i, w := range chain {
			l := lines[i]
			if l.phase != w.phase || l.status != w.status || !regexp.MustCompile(w.detail).MatchString(l.detail) {
				t.Errorf("%s line %d = %+v, want %s %s %s", name, i+1, l, w.phase, w.status, w.detail)
			}
			if w.status == "ok" && l.ms <= 0 {
				t.Errorf("%s %s: no time: %+v", name, l.phase, l)
			}
		}
	}
}

func TestPreconnectPrintsEachPhase(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "preconnect", mixedTargets(t))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	got := byTarget(phaseLines(t, r.stdout))
	if len(got) != 5 {
		t.Errorf("lines for %d targets, want 5:\n%s", len(got), r.stdout)
	}
	checkChains(t, got, goodChains)
	checkChains(t, got, badChains)
	if !strings.HasSuffix(r.stdout, "\n\n3 connected, 2 failed\n") {
		t.Errorf("tally missing:\n%s", r.stdout)
	}
	// Names are padded to the longest, so every line's phase column lines up.
	block, _, _ := strings.Cut(r.stdout, "\n\n")
	for _, line := range strings.Split(block, "\n") {
		if len(line) < 9 || line[7:9] != "  " || line[9] == ' ' {
			t.Errorf("phase column not at 9: %q", line)
		}
	}
}

// With --sequential every target's lines come together, in file order.
func TestPreconnectSequentialAllConnect(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "preconnect", targetsFile(t, webTarget, secureTarget, rawTarget), "--sequential")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	lines := phaseLines(t, r.stdout)
	var order []string
	for _, l := range lines {
		if len(order) == 0 || order[len(order)-1] != l.target {
			order = append(order, l.target)
		}
	}
	if strings.Join(order, " ") != "web secure raw" {
		t.Errorf("targets' lines in order %v, want web secure raw, each together:\n%s", order, r.stdout)
	}
	checkChains(t, byTarget(lines), goodChains)
	if !strings.HasSuffix(r.stdout, "\n3 connected, 0 failed\n") {
		t.Errorf("tally missing:\n%s", r.stdout)
	}
}

// With --count 2 each line names the round.
func TestPreconnectRounds(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "preconnect", targetsFile(t, rawTarget), "--count", "2")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, re := range []string{`(?m)^raw #1  dns `, `(?m)^raw #2  tcp +ok `, `(?m)^raw #2  total +ok `, `\n2 connected, 0 failed\n$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("output does not match %s:\n%s", re, r.stdout)
		}
	}
}

type preconnectDoc struct {
	Schema  string `json:"schema"`
	Targets []struct {
		Name        string  `json:"name"`
		Host        string  `json:"host"`
		Port        int     `json:"port"`
		Protocol    string  `json:"protocol"`
		Round       int     `json:"round"`
		OK          bool    `json:"ok"`
		TotalMS     float64 `json:"total_ms"`
		FailedPhase *string `json:"failed_phase"`
		Phases      []struct {
			Phase      string   `json:"phase"`
			Plugin     string   `json:"plugin"`
			Status     string   `json:"status"`
			DurationMS *float64 `json:"duration_ms"`
			Detail     string   `json:"detail"`
			Error      *struct {
				Kind, Message string
			} `json:"error"`
		} `json:"phases"`
	} `json:"targets"`
	Connected int `json:"connected"`
	Failed    int `json:"failed"`
}

// JSON is one document at the end, no streaming lines; each entry's
// phases match what the table prints.
func TestPreconnectJSON(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "preconnect", mixedTargets(t), "--format", "json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	var doc preconnectDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("output is not one JSON document: %v\n%s", err, r.stdout)
	}
	if doc.Schema != "probe.preconnect/v1" || doc.Connected != 3 || doc.Failed != 2 || len(doc.Targets) != 5 {
		t.Fatalf("schema %q, connected %d, failed %d, %d entries", doc.Schema, doc.Connected, doc.Failed, len(doc.Targets))
	}
	want := map[string][]wantLine{}
	for name, chain := range goodChains {
		want[name] = chain
	}
	for name, chain := range badChains {
		want[name] = chain
	}
	for i, e := range doc.Targets {
		if wantName := []string{"web", "secure", "raw", "missing", "closed"}[i]; e.Name != wantName || e.Round != 1 {
			t.Errorf("entry %d is %s round %d, want %s round 1", i, e.Name, e.Round, wantName)
		}
		chain := want[e.Name]
		failed := chain[len(chain)-1].status == "FAILED"
		if e.OK == failed || (e.FailedPhase != nil) != failed || len(e.Phases) != len(chain)-1 || e.Host == "" || e.Port == 0 {
			t.Errorf("%s: %+v", e.Name, e)
			continue
		}
		for j, p := range e.Phases {
			w := chain[j]
			status := strings.ToLower(w.status)
			if p.Phase != w.phase || p.Status != status || !regexp.MustCompile(w.detail).MatchString(p.Detail) {
				t.Errorf("%s phase %d = %+v, want %s %s %s", e.Name, j, p, w.phase, status, w.detail)
			}
			switch status {
			case "ok":
				if p.DurationMS == nil || *p.DurationMS <= 0 || p.Error != nil || p.Plugin == "" {
					t.Errorf("%s %s: %+v", e.Name, p.Phase, p)
				}
			case "skipped":
				if p.DurationMS != nil || p.Error != nil {
					t.Errorf("%s %s: %+v", e.Name, p.Phase, p)
				}
			case "failed":
				if p.Error == nil || p.Error.Kind == "" || *e.FailedPhase != p.Phase {
					t.Errorf("%s %s: %+v", e.Name, p.Phase, p)
				}
			}
		}
	}
}

func TestPreconnectUsageErrors(t *testing.T) {
	// Never probed: every case fails before a plugin starts.
	file := targetsFile(t, rawTarget)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"preconnect", file, "--format", "openmetrics"}, `invalid argument "openmetrics" for "--format" flag: want table, json or ndjson`},
		{[]string{"preconnect", file, file}, "accepts at most 1 arg"},
		{[]string{"preconnect", file, "--timeout", "0s"}, "--timeout must be greater than zero"},
		{[]string{"preconnect", file, "--var", "dns_server"}, "want NAME=VALUE"},
	} {
		r := runProbe(t, nil, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, want 2 and %q on stderr\nstdout:\n%s\nstderr:\n%s", tc.args, r.code, tc.want, r.stdout, r.stderr)
		}
	}
}

func TestPreconnectInterruptedExits130(t *testing.T) {
	r := interrupted(t, "preconnect", "--format", "json")
	if r.code != 130 {
		t.Fatalf("exit %d, want 130\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Interrupted bool `json:"interrupted"`
		Connected   int  `json:"connected"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || !doc.Interrupted || doc.Connected == 0 {
		t.Errorf("want a document marked interrupted with the probes that finished (err %v):\n%s", err, r.stdout)
	}
}
