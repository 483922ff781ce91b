package stats

import (
	"testing"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

func TestCompareWarm(t *testing.T) {
	cold := sample.Sample{Target: "a", Phases: []sample.Phase{
		phase("dns", sample.OK, ms(4), nil), phase("tcp", sample.OK, ms(2), nil), phase("http", sample.OK, ms(3), nil)}}
	reused := sample.Sample{Target: "a", Reused: true, Phases: []sample.Phase{
		{Name: "dns", Status: sample.Reused}, {Name: "tcp", Status: sample.Reused}, phase("http", sample.OK, ms(1), nil)}}
	fresh := sample.Sample{Target: "a", Phases: []sample.Phase{
		{Name: "dns", Status: sample.OK, Duration: ms(1), Attributes: sdk.Attributes{"dns.cached": true}},
		phase("tcp", sample.OK, ms(2), nil),
		{Name: "http", Status: sample.OK, Duration: ms(3), Attributes: sdk.Attributes{"tls.resumed": true}}}}
	failed := sample.Sample{Target: "a", Phases: []sample.Phase{
		phase("dns", sample.Failed, ms(9), &sample.Error{Kind: sdk.KindTimeout, Message: "x"})}}

	got := CompareWarm([]string{"a", "b"}, []sample.Sample{cold, reused, reused, fresh, failed})
	a := got[0]
	if a.Warm != 4 || a.WarmOK != 3 || a.Reused != 2 || a.Cached != 1 || a.Resumed != 1 {
		t.Fatalf("counts = %+v", a)
	}
	// dns warm: 0, 0 (reused), 1 ms → p50 0; tcp: 0, 0, 2 → 0; http: 1, 1, 3 → 1.
	want := map[string][2]int{"dns": {4, 0}, "tcp": {2, 0}, "http": {3, 1}}
	for _, p := range a.Phases {
		w := want[p.Name]
		if p.Cold != ms(w[0]) || p.WarmP50 != ms(w[1]) || p.Saved() != ms(w[0]-w[1]) {
			t.Errorf("%s: cold %v warm %v saved %v, want %v", p.Name, p.Cold, p.WarmP50, p.Saved(), w)
		}
	}
	if a.Phases[0].Reused != 2 || a.Phases[0].WarmRan != 1 {
		t.Errorf("dns reused %d ran %d", a.Phases[0].Reused, a.Phases[0].WarmRan)
	}
	// totals: cold 9; warm 1, 1, 6 → p50 1.
	if a.Total.Cold != ms(9) || a.Total.WarmP50 != ms(1) || a.Total.WarmRan != 3 {
		t.Errorf("total = %+v", a.Total)
	}
	if b := got[1]; b.Cold != nil || b.Warm != 0 {
		t.Errorf("target without samples = %+v", b)
	}
}

func TestCompareWarmCountsWhyConnectionsWereNotReusable(t *testing.T) {
	why := "5 bytes followed the response to HEAD, which has no body (RFC 9110 §9.3.2): the server sent a body"
	probe := sample.Sample{Target: "a", Phases: []sample.Phase{
		phase("tcp", sample.OK, ms(1), nil),
		{Name: "http", Status: sample.OK, Duration: ms(1), Attributes: sdk.Attributes{"http.not_reusable": why}}}}
	got := CompareWarm([]string{"a"}, []sample.Sample{probe, probe, probe})[0]
	if got.Reused != 0 || len(got.NotReusable) != 1 || got.NotReusable[0].Message != why || got.NotReusable[0].Count != 3 {
		t.Errorf("reused %d, not reusable %+v; want 0 and the reason 3 times", got.Reused, got.NotReusable)
	}
}
