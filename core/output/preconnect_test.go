package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

func progressTargets() []sdk.Target {
	return []sdk.Target{
		statusTarget("web", "www.test", 80, "http"),
		statusTarget("raw", "127.0.0.1", 7, "tcp"),
		statusTarget("missing", "missing.test", 443, "https"),
	}
}

func newPreconnectWriter(w io.Writer, rounds int, color bool) *PreconnectWriter {
	return NewPreconnectWriter(w, []string{"web", "raw", "missing"}, []string{"dns", "tcp", "tls", "http"}, rounds, Options{Color: color})
}

// preconnectReport is the report of the samples.
func preconnectReport(samples []sample.Sample, interrupted bool) PreconnectReport {
	targets := progressTargets()
	names := []string{targets[0].Name, targets[1].Name, targets[2].Name}
	return PreconnectReport{Targets: targets, Stats: stats.Aggregate(names, samples), Samples: samples, Interrupted: interrupted}
}

var (
	dnsOK = sample.Phase{Name: "dns", Plugin: "dns 0.1.0", Status: sample.OK, Duration: 512 * time.Microsecond,
		Attributes: sdk.Attributes{"dns.answers": []string{"127.0.0.1"}, "dns.source": "server"}}
	tcpOK = sample.Phase{Name: "tcp", Status: sample.OK, Duration: 250 * time.Microsecond,
		Attributes: sdk.Attributes{"tcp.remote": "127.0.0.1:80", "tcp.local": "127.0.0.1:5555"}}
	httpOK = sample.Phase{Name: "http", Status: sample.OK, Duration: 12500 * time.Microsecond,
		Attributes: sdk.Attributes{"http.status": int64(200), "http.protocol": "HTTP/1.1", "http.ttfb": time.Millisecond}}
	dnsSkipped = sample.Phase{Name: "dns", Status: sample.Skipped, Note: "host is an IP address"}
	dnsFailed  = sample.Phase{Name: "dns", Status: sample.Failed, Duration: 2100 * time.Microsecond,
		Error: &sample.Error{Kind: sdk.KindNXDomain, Message: "nxdomain: missing.test does not exist"}}
)

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	pw := newPreconnectWriter(&buf, 1, false)
	for _, e := range []PhaseEvent{
		{Target: "web", Phase: dnsOK},
		{Target: "raw", Phase: dnsSkipped},
		{Target: "missing", Phase: dnsFailed},
		{Target: "web", Phase: tcpOK},
		{Target: "web", Phase: httpOK},
		{Target: "raw", Phase: sample.Phase{Name: "tcp", Status: sample.OK, Duration: time.Millisecond}},
	} {
		pw.Phase(e)
	}
	pw.Done(sample.Sample{Target: "missing", Phases: []sample.Phase{dnsFailed}})
	pw.Done(sample.Sample{Target: "web", Phases: []sample.Phase{dnsOK, tcpOK, httpOK}})
	tally := preconnectReport([]sample.Sample{
		{Target: "missing", Phases: []sample.Phase{dnsFailed}},
		{Target: "web", Phases: []sample.Phase{dnsOK, tcpOK, httpOK}},
	}, false)
	if err := tally.Render(&buf, FormatTable, Options{}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"web      dns    ok      0.512 ms  127.0.0.1\n" +
		"raw      dns    skipped           host is an IP address\n" +
		"missing  dns    FAILED  2.100 ms  nxdomain: missing.test does not exist\n" +
		"web      tcp    ok      0.250 ms  127.0.0.1:80\n" +
		"web      http   ok       12.5 ms  HTTP/1.1 200\n" +
		"raw      tcp    ok      1.000 ms\n" +
		"missing  total  FAILED  2.100 ms  failed at dns\n" +
		"web      total  ok       13.3 ms  connected\n" +
		"\n1 connected, 1 failed\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if pw.Err() != nil {
		t.Errorf("Err = %v", pw.Err())
	}
}

// A phase that failed in the host (no plugin measurement) shows no time;
// more than one round puts the round in the name; colour marks ok and
// FAILED; a write error is kept.
func TestProgressRoundsColourAndErrors(t *testing.T) {
	var buf bytes.Buffer
	pw := newPreconnectWriter(&buf, 12, true)
	hung := sample.Phase{Name: "tls", Status: sample.Failed, Error: &sample.Error{Kind: sdk.KindTimeout, Message: "plugin did not answer"}}
	pw.Phase(PhaseEvent{Target: "missing", Round: 11, Phase: hung})
	pw.Phase(PhaseEvent{Target: "web", Round: 0, Phase: tcpOK})
	if err := preconnectReport(nil, true).Render(&buf, FormatTable, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"missing #12  tls    \x1b[31mFAILED \x1b[0m        -  timeout: plugin did not answer\n" +
		"web #1       tcp    \x1b[32mok     \x1b[0m 0.250 ms  127.0.0.1:80\n" +
		"\n0 connected, 0 failed\ninterrupted: only the probes above finished\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}

	broken := newPreconnectWriter(failingWriter{}, 1, false)
	broken.Phase(PhaseEvent{Target: "web", Phase: tcpOK})
	if broken.Err() == nil {
		t.Errorf("write error lost")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestPhaseDetail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		phase sample.Phase
		want  string
	}{
		{"dns answers", dnsOK, "127.0.0.1"},
		{"dns many, cached", sample.Phase{Status: sample.OK, Attributes: sdk.Attributes{
			"dns.answers": []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}, "dns.cached": true}},
			"10.0.0.1, 10.0.0.2, 10.0.0.3 +2 more (cached)"},
		{"dns none", sample.Phase{Status: sample.OK, Attributes: sdk.Attributes{"dns.source": "hosts"}}, "no addresses"},
		{"tcp", tcpOK, "127.0.0.1:80"},
		{"tls", sample.Phase{Status: sample.OK, Attributes: sdk.Attributes{
			"tls.version": "TLS 1.3", "tls.cipher": "TLS_AES_128_GCM_SHA256", "tls.resumed": false}},
			"TLS 1.3 TLS_AES_128_GCM_SHA256"},
		{"tls resumed", sample.Phase{Status: sample.OK, Attributes: sdk.Attributes{
			"tls.version": "TLS 1.2", "tls.cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "tls.resumed": true}},
			"TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, resumed"},
		{"renamed http instance", sample.Phase{Name: "health", Status: sample.OK, Attributes: sdk.Attributes{
			"http.status": int64(204), "http.protocol": "HTTP/1.1"}}, "HTTP/1.1 204"},
		{"custom phase", sample.Phase{Name: "ping", Status: sample.OK, Attributes: sdk.Attributes{
			"ping.ttl": int64(64), "ping.rtt": 1500 * time.Microsecond, "ping.via": []string{"a", "b"}, "ping.zz": "x"}},
			"ping.rtt=1.500ms ping.ttl=64 ping.via=a,b"},
		{"no attributes", sample.Phase{Status: sample.OK}, ""},
		{"failure with kind in message", dnsFailed, "nxdomain: missing.test does not exist"},
		{"failure without kind", sample.Phase{Status: sample.Failed, Error: &sample.Error{Kind: sdk.KindRefused, Message: "connect 1.2.3.4:5"}},
			"refused: connect 1.2.3.4:5"},
		{"failure without error", sample.Phase{Status: sample.Failed}, "unknown failure"},
		{"skipped", dnsSkipped, "host is an IP address"},
		{"reused", sample.Phase{Status: sample.Reused, Note: "connection reused"}, "connection reused"},
	} {
		if got := PhaseDetail(tc.phase); got != tc.want {
			t.Errorf("%s: detail %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestPreconnectJSON(t *testing.T) {
	samples := []sample.Sample{
		{Target: "missing", Phases: []sample.Phase{dnsFailed}},
		{Target: "web", Round: 1, Phases: []sample.Phase{dnsOK, tcpOK, httpOK}},
		{Target: "raw", Phases: []sample.Phase{dnsSkipped, tcpOK}},
		{Target: "web", Round: 0, Phases: []sample.Phase{dnsOK, tcpOK, httpOK}},
	}
	buf := rendered(t, preconnectReport(samples, false), FormatJSON, Options{})
	var doc struct {
		Schema  string `json:"schema"`
		Targets []struct {
			Name        string  `json:"name"`
			Host        string  `json:"host"`
			Round       int     `json:"round"`
			OK          bool    `json:"ok"`
			TotalMS     float64 `json:"total_ms"`
			FailedPhase *string `json:"failed_phase"`
			Phases      []struct {
				Phase      string            `json:"phase"`
				Status     string            `json:"status"`
				DurationMS *float64          `json:"duration_ms"`
				Detail     string            `json:"detail"`
				Error      map[string]string `json:"error"`
				Attributes map[string]any    `json:"attributes"`
			} `json:"phases"`
		} `json:"targets"`
		Connected   int  `json:"connected"`
		Failed      int  `json:"failed"`
		Interrupted bool `json:"interrupted"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	if doc.Schema != PreconnectSchema || doc.Connected != 3 || doc.Failed != 1 || doc.Interrupted {
		t.Errorf("schema %q connected %d failed %d interrupted %v", doc.Schema, doc.Connected, doc.Failed, doc.Interrupted)
	}
	var order []string
	for _, e := range doc.Targets {
		order = append(order, e.Name+"#"+string(rune('0'+e.Round)))
	}
	if got := strings.Join(order, " "); got != "web#1 web#2 raw#1 missing#1" {
		t.Errorf("entries in order %s, want targets' order then rounds (1-based)", got)
	}
	web := doc.Targets[0]
	if !web.OK || web.FailedPhase != nil || web.TotalMS != 13.262 || web.Host != "www.test" || len(web.Phases) != 3 {
		t.Errorf("web = %+v", web)
	}
	if h := web.Phases[2]; h.Detail != "HTTP/1.1 200" || *h.DurationMS != 12.5 || h.Error != nil || h.Attributes["http.ttfb_ms"] != 1.0 {
		t.Errorf("web http = %+v", h)
	}
	if d := doc.Targets[2].Phases[0]; d.Status != "skipped" || d.DurationMS != nil || d.Detail != "host is an IP address" {
		t.Errorf("raw dns = %+v", d)
	}
	missing := doc.Targets[3]
	if missing.OK || missing.FailedPhase == nil || *missing.FailedPhase != "dns" {
		t.Errorf("missing = %+v", missing)
	}
	if d := missing.Phases[0]; d.Status != "failed" || d.Error["kind"] != "nxdomain" || *d.DurationMS != 2.1 {
		t.Errorf("missing dns = %+v", d)
	}
}
