//go:build linux

package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/probe-net/probe/internal/loopback"
	"github.com/probe-net/probe/internal/schematest"
)

// silentServer accepts TCP connections on loopback and never answers; the
// connections close when the test ends.
func silentServer(t *testing.T) int {
	return loopback.ServeTest(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }).Port()
}

// silentTargets is a file with one http target on a server that never
// answers: each probe times out reading the response, on a new connection
// from a new local port.
func silentTargets(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "silent.hcl")
	writeFile(t, file, fmt.Sprintf("target \"silent\" {\n  host     = \"127.0.0.1\"\n  port     = %d\n  protocol = \"http\"\n}\n", silentServer(t)))
	return file
}

// Five identical timeouts, whose messages differ only in the ephemeral
// port, are one cause: one table line and one JSON group. On a loaded
// machine the host may abandon a late plugin call first (another cause, with
// its own group), so the test checks that every read timeout is in one
// group and that the groups account for all five probes.
func TestRepeatedFailuresGroupByCause(t *testing.T) {
	file := silentTargets(t)
	args := []string{"run", file, "--count", "5", "--interval", "0", "--timeout", "300ms"}
	table := runProbe(t, nil, args...)
	if table.code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", table.code, table.stdout, table.stderr)
	}
	lines := regexp.MustCompile(`(?m)^  silent http: .*\((\d+)×\)$`).FindAllStringSubmatch(table.stdout, -1)
	reads, total := 0, 0
	for _, l := range lines {
		n, _ := strconv.Atoi(l[1])
		total += n
		if strings.Contains(l[0], "i/o timeout") {
			reads++
		}
	}
	if reads != 1 || total != 5 {
		t.Errorf("want the read timeouts in one failure line and 5 failures in all, got %q:\n%s", lines, table.stdout)
	}

	j := runProbe(t, nil, append(args, "--format", "json")...)
	rep := decode(t, j)
	if len(rep.Targets) != 1 || len(rep.Targets[0].Phases) < 2 {
		t.Fatalf("report = %+v", rep)
	}
	var doc struct {
		Targets []struct {
			Phases []struct {
				Phase  string `json:"phase"`
				Errors []struct {
					Kind, Message, Cause string
					Count                int
				} `json:"errors"`
			} `json:"phases"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	http := doc.Targets[0].Phases[len(doc.Targets[0].Phases)-1]
	var groups []int
	total = 0
	for i, e := range http.Errors {
		total += e.Count
		if strings.Contains(e.Cause, "i/o timeout") {
			groups = append(groups, i)
		}
	}
	if len(groups) != 1 || total != 5 {
		t.Fatalf("%s: want the read timeouts in one group and 5 failures in all: %+v", http.Phase, http.Errors)
	}
	e := http.Errors[groups[0]]
	if e.Count < 1 || e.Kind != "timeout" || !strings.Contains(e.Cause, "read tcp <addr>-><addr>: i/o timeout") ||
		!regexp.MustCompile(`read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i/o timeout`).MatchString(e.Message) {
		t.Errorf("group = %+v; want timeouts, the cause with <addr> and a real message as the example", e)
	}
}

// --format ndjson writes one valid probe.sample/v1 line per probe, and
// nothing else on stdout.
func TestRunNDJSONStreamsSamples(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "run", example(t, "testbed.hcl"), "--count", "2", "--format", "ndjson")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	lines := schematest.CheckLines(t, []byte(r.stdout))
	perTarget := map[string][]float64{}
	for _, l := range lines {
		perTarget[l["target"].(string)] = append(perTarget[l["target"].(string)], l["round"].(float64))
		if l["ok"] != true {
			t.Errorf("line %v: not ok", l)
		}
	}
	for _, name := range []string{"web", "secure", "raw"} {
		if got := perTarget[name]; len(got) != 2 {
			t.Errorf("%s: rounds %v, want 2 lines", name, got)
		}
	}
	if len(lines) != 6 {
		t.Errorf("%d lines, want 6 (3 targets × 2):\n%s", len(lines), r.stdout)
	}
}

func TestPreconnectNDJSONNamesTheFailure(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "preconnect", mixedTargets(t), "--format", "ndjson")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", r.code, r.stderr)
	}
	failed := map[string]any{}
	for _, l := range schematest.CheckLines(t, []byte(r.stdout)) {
		failed[l["target"].(string)] = l["failed_phase"]
	}
	want := map[string]any{"web": nil, "secure": nil, "raw": nil, "missing": "dns", "closed": "tcp"}
	for name, phase := range want {
		if got, ok := failed[name]; !ok || got != phase {
			t.Errorf("%s: failed_phase %v (present %v), want %v", name, got, ok, phase)
		}
	}
}

// --format openmetrics is valid OpenMetrics (and Prometheus text, which
// node_exporter's textfile collector reads), with a histogram per phase
// and probe_success per target.
func TestRunOpenMetrics(t *testing.T) {
	tb := startTestbed(t)
	r := runProbe(t, tb, "run", targetsFile(t, webTarget, secureTarget, missingTarget), "--count", "2", "--format", "openmetrics")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (missing fails)\nstderr:\n%s", r.code, r.stderr)
	}
	dec := expfmt.NewDecoder(strings.NewReader(r.stdout), expfmt.NewFormat(expfmt.TypeOpenMetrics))
	families := map[string]*dto.MetricFamily{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not OpenMetrics: %v\n%s", err, r.stdout)
			}
			break
		}
		families[mf.GetName()] = &mf
	}
	phases := map[string]uint64{}
	for _, m := range families["probe_phase_duration_seconds"].GetMetric() {
		var target, phase string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "target":
				target = l.GetValue()
			case "phase":
				phase = l.GetValue()
			}
		}
		phases[target+"/"+phase] = m.GetHistogram().GetSampleCount()
	}
	for _, want := range []string{"web/dns", "web/tcp", "web/http", "secure/dns", "secure/tcp", "secure/tls", "secure/http"} {
		if phases[want] != 2 {
			t.Errorf("%s: %d durations, want 2 (have %v)", want, phases[want], phases)
		}
	}
	if phases["missing/dns"] != 0 {
		t.Errorf("missing/dns failed, yet has durations")
	}
	success := map[string]float64{}
	for _, m := range families["probe_success"].GetMetric() {
		success[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
	}
	if success["web"] != 1 || success["secure"] != 1 || success["missing"] != 0 || len(success) != 3 {
		t.Errorf("probe_success = %v", success)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(r.stdout)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out.String())
		}
	} else {
		t.Log("promtool not found (apt-get install prometheus): skipped its check")
	}
}
