package output

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

func statusTarget(name, host string, port int, proto string) sdk.Target {
	return sdk.Target{Name: name, Host: host, Port: port, Protocol: proto}
}

// statusReport judges the targets from the samples, as the CLI does.
func statusReport(targets []sdk.Target, samples []sample.Sample) StatusReport {
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	return NewStatusReport(targets, stats.Aggregate(names, samples))
}

func okProbe(target string, round int, d time.Duration) sample.Sample {
	return sample.Sample{Target: target, Round: round, Phases: []sample.Phase{
		{Name: "tcp", Status: sample.OK, Duration: d},
	}}
}

func failedProbe(target string, round int, phase string, kind sdk.ErrorKind, msg string) sample.Sample {
	return sample.Sample{Target: target, Round: round, Phases: []sample.Phase{
		{Name: phase, Status: sample.Failed, Error: &sample.Error{Kind: kind, Message: msg}},
	}}
}

// statusFixture has one target of each status. Samples arrive out of round
// order, as they may from a parallel run.
func statusFixture() StatusReport {
	targets := []sdk.Target{
		statusTarget("web", "www.test", 80, "http"),
		statusTarget("flaky", "flaky.test", 443, "https"),
		statusTarget("gone", "gone.test", 80, "http"),
		statusTarget("late", "late.test", 22, "tcp"),
	}
	samples := []sample.Sample{
		okProbe("web", 1, 2*time.Millisecond),
		okProbe("web", 0, time.Millisecond),
		okProbe("web", 2, 3*time.Millisecond),
		okProbe("flaky", 2, 4*time.Millisecond),
		failedProbe("flaky", 0, "tcp", sdk.KindRefused, "refused: connect 10.0.0.1:443: connection refused"),
		okProbe("flaky", 1, 5*time.Millisecond),
		okProbe("gone", 0, time.Millisecond),
		failedProbe("gone", 2, "dns", sdk.KindNXDomain, "nxdomain: gone.test does not exist"),
		okProbe("gone", 1, time.Millisecond),
		failedProbe("web", 3, "http", sdk.KindCanceled, "interrupted"),
	}
	return statusReport(targets, samples)
}

// The judging is core/stats' (its tests); the report tallies it. The
// interrupted fourth probe of web is left out: web is up, 3/3.
func TestStatusSummary(t *testing.T) {
	r := statusFixture()
	if got := r.Summary(); got != "1 up, 1 degraded, 1 down, 1 unknown" {
		t.Errorf("summary = %q", got)
	}
	if f := r.Stats[2].LastFailure; f == nil || failureText(f) != "dns: nxdomain: gone.test does not exist" {
		t.Errorf("gone: last failure %v", f)
	}
	r.Stats = r.Stats[:2]
	if got := r.Summary(); got != "1 up, 1 degraded, 0 down" {
		t.Errorf("summary = %q", got)
	}
}

func TestStatusTable(t *testing.T) {
	buf := rendered(t, statusFixture(), FormatTable, Options{Color: false})
	out := buf.String()
	for _, want := range []string{
		"STATUS    TARGET  ADDRESS                 OK/N     P50     P90     MAX\n",
		"up        web     www.test:80/http         3/3   2.000   3.000   3.000\n",
		"degraded  flaky   flaky.test:443/https     2/3   4.000   5.000   5.000\n" +
			"          earlier failure: tcp: refused: connect 10.0.0.1:443: connection refused\n",
		"down      gone    gone.test:80/http        2/3   1.000   1.000   1.000\n" +
			"          dns: nxdomain: gone.test does not exist\n",
		"unknown   late    late.test:22/tcp         0/0       -       -       -\n",
		"\n1 up, 1 degraded, 1 down, 1 unknown\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour without asking:\n%s", out)
	}
	if strings.Contains(out, "interrupted") {
		t.Errorf("not interrupted:\n%s", out)
	}
}

func TestStatusTableColour(t *testing.T) {
	buf := rendered(t, statusFixture(), FormatTable, Options{Color: true})
	out := buf.String()
	for _, want := range []string{
		"\x1b[32mup      \x1b[0m  web", "\x1b[33mdegraded\x1b[0m  flaky", "\x1b[31mdown    \x1b[0m  gone", "\nunknown   late",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%q", want, out)
		}
	}
}

// Long names and addresses are cut so rows fit 80 columns, keeping the
// port and protocol.
func TestStatusTableFitsEightyColumns(t *testing.T) {
	long := statusTarget("a-very-long-target-name-indeed", "a.very.long.host.name.in.some.deep.zone.example", 8443, "https")
	r := statusReport([]sdk.Target{long, statusTarget("v6", "::1", 443, "tls")}, []sample.Sample{
		okProbe(long.Name, 0, 1500*time.Second), okProbe("v6", 0, time.Millisecond),
	})
	r.Interrupted = true
	buf := rendered(t, r, FormatTable, Options{Color: false})
	out := buf.String()
	for _, line := range strings.Split(out, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line is %d columns wide: %q", n, line)
		}
	}
	for _, want := range []string{"a-very-long-t… ", "…:8443/https ", "[::1]:443/tls", "1500000", "interrupted"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestStatusJSON(t *testing.T) {
	buf := rendered(t, statusFixture(), FormatJSON, Options{})
	var doc struct {
		Schema  string `json:"schema"`
		Targets []struct {
			Name      string            `json:"name"`
			Host      string            `json:"host"`
			Port      int               `json:"port"`
			Protocol  string            `json:"protocol"`
			Status    string            `json:"status"`
			Probes    int               `json:"probes"`
			OK        int               `json:"ok"`
			LastError map[string]string `json:"last_error"`
			Total     map[string]any    `json:"total"`
		} `json:"targets"`
		Up, Degraded, Down, Unknown int
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	if doc.Schema != StatusSchema || len(doc.Targets) != 4 {
		t.Fatalf("schema %q, %d targets", doc.Schema, len(doc.Targets))
	}
	if doc.Up != 1 || doc.Degraded != 1 || doc.Down != 1 || doc.Unknown != 1 {
		t.Errorf("counts up=%d degraded=%d down=%d unknown=%d", doc.Up, doc.Degraded, doc.Down, doc.Unknown)
	}
	web, gone := doc.Targets[0], doc.Targets[2]
	if web.Status != "up" || web.Probes != 3 || web.OK != 3 || web.LastError != nil || web.Host != "www.test" || web.Port != 80 {
		t.Errorf("web = %+v", web)
	}
	if web.Total["p50_ms"] != 2.0 || web.Total["p90_ms"] != 3.0 || web.Total["max_ms"] != 3.0 {
		t.Errorf("web total = %v", web.Total)
	}
	want := map[string]string{"phase": "dns", "kind": "nxdomain", "message": "gone.test does not exist"}
	if gone.Status != "down" || gone.OK != 2 || gone.Protocol != "http" || !maps.Equal(gone.LastError, want) {
		t.Errorf("gone = %+v", gone)
	}
	if late := doc.Targets[3]; late.Status != "unknown" || late.Total["p50_ms"] != nil {
		t.Errorf("late = %+v", late)
	}
}
