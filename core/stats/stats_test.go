package stats

import (
	"testing"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 10; i++ {
		d = append(d, ms(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, ms(1)}, {10, ms(1)}, {11, ms(2)}, {50, ms(5)}, {90, ms(9)}, {91, ms(10)}, {99, ms(10)}, {100, ms(10)}} {
		if got := Percentile(d, c.p); got != c.want {
			t.Errorf("p%v of 1..10 ms = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
	if got := Percentile([]time.Duration{ms(7)}, 99); got != ms(7) {
		t.Errorf("p99 of one value = %v", got)
	}
}

func phase(name string, st sample.Status, d time.Duration, err *sample.Error) sample.Phase {
	return sample.Phase{Name: name, Plugin: name + " 1", Status: st, Duration: d, Wall: d + ms(1), Error: err}
}

func TestAggregate(t *testing.T) {
	refused := &sample.Error{Kind: sdk.KindRefused, Message: "connection refused"}
	samples := []sample.Sample{
		{Target: "a", Phases: []sample.Phase{phase("dns", sample.OK, ms(2), nil), phase("tcp", sample.OK, ms(4), nil)}},
		{Target: "a", Phases: []sample.Phase{phase("dns", sample.OK, ms(6), nil), phase("tcp", sample.Failed, ms(1), refused)}},
		{Target: "a", Phases: []sample.Phase{phase("dns", sample.OK, ms(4), nil), phase("tcp", sample.Failed, ms(1), refused)}},
		{Target: "b", Phases: []sample.Phase{{Name: "dns", Status: sample.Skipped}, phase("tcp", sample.OK, ms(3), nil)}},
	}
	got := Aggregate([]string{"a", "b", "c"}, samples)
	if len(got) != 3 {
		t.Fatalf("got %d targets", len(got))
	}
	a := got[0]
	if a.Probes != 3 || a.OK != 1 || len(a.Phases) != 2 {
		t.Fatalf("a = %+v", a)
	}
	dns := a.Phases[0].Summary
	if dns.Count != 3 || dns.OK != 3 || dns.Min != ms(2) || dns.Max != ms(6) || dns.Mean != ms(4) || dns.P50 != ms(4) || dns.MeanOverhead != ms(1) {
		t.Errorf("a dns = %+v", dns)
	}
	tcp := a.Phases[1].Summary
	if tcp.OK != 1 || tcp.Failed != 2 || len(tcp.Errors) != 1 || tcp.Errors[0].Count != 2 || tcp.Errors[0].Kind != sdk.KindRefused {
		t.Errorf("a tcp = %+v", tcp)
	}
	if a.Total.OK != 1 || a.Total.Failed != 2 || a.Total.Min != ms(6) {
		t.Errorf("a total = %+v (want the one ok probe's 2+4 ms)", a.Total)
	}
	b := got[1]
	if b.Phases[0].Summary.Skipped != 1 || b.Phases[0].Summary.OK != 0 || b.OK != 1 {
		t.Errorf("b = %+v", b)
	}
	if c := got[2]; c.Probes != 0 || len(c.Phases) != 0 {
		t.Errorf("c (no samples) = %+v", c)
	}
}

func TestWarningsCountPartialFailuresOfSuccessfulPhases(t *testing.T) {
	aaaa := "timeout: www.probe.test AAAA: no answer within 2s (server 127.0.0.1:53)"
	ok := func(errs ...string) sample.Phase {
		p := phase("dns", sample.OK, ms(2), nil)
		if errs != nil {
			p.Attributes = sdk.Attributes{"dns.errors": errs, "dns.answers": []string{"192.0.2.1"}}
		}
		return p
	}
	samples := []sample.Sample{
		{Target: "a", Phases: []sample.Phase{ok(aaaa)}},
		{Target: "a", Phases: []sample.Phase{ok()}},
		{Target: "a", Phases: []sample.Phase{ok(aaaa)}},
	}
	w := Aggregate([]string{"a"}, samples)[0].Phases[0].Summary.Warnings
	if len(w) != 1 || w[0].Message != aaaa || w[0].Count != 2 {
		t.Errorf("warnings = %+v, want the AAAA timeout twice (and not the answers)", w)
	}
}

// Reading a GET body is the http phase's work (http.transfer), not the
// framework's: overhead is wall time minus Duration and the transfer.
func TestOverheadLeavesOutTheBodyTransfer(t *testing.T) {
	p := sample.Phase{Name: "http", Status: sample.OK, Duration: ms(1), Wall: ms(1003),
		Attributes: sdk.Attributes{"http.transfer": ms(1000), "http.body_complete": false}}
	got := Aggregate([]string{"a"}, []sample.Sample{{Target: "a", Phases: []sample.Phase{p}}})[0].Phases[0].Summary
	if got.MeanOverhead != ms(2) {
		t.Errorf("overhead = %v, want 2ms (1003 wall - 1 duration - 1000 transfer)", got.MeanOverhead)
	}
}
