package output

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

func warmReport() WarmReport {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	cold := sample.Sample{Target: "web", Phases: []sample.Phase{
		{Name: "dns", Status: sample.Skipped},
		{Name: "tcp", Status: sample.OK, Duration: ms(2)},
		{Name: "http", Status: sample.OK, Duration: ms(4)}}}
	return WarmReport{
		Targets:  []sdk.Target{{Name: "web", Host: "127.0.0.1", Port: 80, Protocol: "http"}},
		Features: []string{"http keep-alive (connection reuse)"},
		Warmth: []stats.Warmth{{
			Name: "web", Cold: &cold, Warm: 3, WarmOK: 3, Reused: 3,
			Phases: []stats.WarmPhase{
				{Name: "dns", ColdSkipped: true},
				{Name: "tcp", Cold: ms(2), ColdOK: true, Reused: 3},
				{Name: "http", Cold: ms(4), ColdOK: true, WarmP50: ms(1), WarmMean: ms(1), WarmRan: 3},
			},
			Total: stats.WarmPhase{Name: "total", Cold: ms(6), ColdOK: true, WarmP50: ms(1), WarmRan: 3},
		}},
	}
}

func TestWarmTable(t *testing.T) {
	buf := rendered(t, warmReport(), FormatTable, Options{})
	for _, want := range []string{
		"warming with: http keep-alive (connection reuse)\n",
		"TARGET  PHASE      COLD  WARM p50     SAVED  SAVED%\n",
		"web     dns           -  skipped\n",
		"        tcp       2.000    reused     2.000    100%\n",
		"        http      4.000     1.000     3.000     75%\n",
		"        total     6.000     1.000     5.000     83%\n",
		"warm 3/3 ok: connection reused 3, tls resumed 0, dns cached 0\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestWarmJSON(t *testing.T) {
	buf := rendered(t, warmReport(), FormatJSON, Options{})
	var doc struct {
		Schema  string
		Targets []struct {
			Reused int
			Phases []struct {
				Phase      string
				ColdMS     *float64 `json:"cold_ms"`
				SavedMS    *float64 `json:"saved_ms"`
				WarmReused int      `json:"warm_reused"`
			}
			Total struct {
				SavedMS *float64 `json:"saved_ms"`
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	tg := doc.Targets[0]
	if doc.Schema != "probe.warmup/v1" || tg.Reused != 3 || tg.Phases[0].ColdMS != nil || *tg.Phases[1].SavedMS != 2 || tg.Phases[1].WarmReused != 3 || *tg.Total.SavedMS != 5 {
		t.Errorf("document = %s", buf.String())
	}
}

// Why connections were not reused is in the summary and the JSON.
func TestWarmReportSaysWhyReuseWasDropped(t *testing.T) {
	why := "5 bytes followed the response to HEAD, which has no body (RFC 9110 §9.3.2): the server sent a body"
	r := warmReport()
	r.Warmth[0].Reused = 0
	r.Warmth[0].NotReusable = []stats.ErrorCount{{Message: why, Cause: why, Count: 4}}
	table := rendered(t, r, FormatTable, Options{})
	if want := "warm 3/3 ok: connection reused 0, tls resumed 0, dns cached 0\n        not reusable: " + why + " (4×)\n"; !strings.Contains(table.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, table.String())
	}
	doc := rendered(t, r, FormatJSON, Options{})
	var parsed struct {
		Targets []struct {
			NotReusable []struct {
				Reason string `json:"reason"`
				Count  int    `json:"count"`
			} `json:"not_reusable"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(doc.Bytes(), &parsed); err != nil {
		t.Fatal(err)
	}
	if n := parsed.Targets[0].NotReusable; len(n) != 1 || n[0].Reason != why || n[0].Count != 4 {
		t.Errorf("not_reusable = %+v", n)
	}
}
