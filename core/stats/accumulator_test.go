package stats

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

func TestCauseReplacesAddressesAndPorts(t *testing.T) {
	for in, want := range map[string]string{
		"read tcp 127.0.0.1:60776->127.0.0.1:8080: i/o timeout":   "read tcp <addr>-><addr>: i/o timeout",
		"dial tcp [::1]:443: connect: connection refused":         "dial tcp <addr>: connect: connection refused",
		"dial tcp [fe80::1%eth0]:80: no route":                    "dial tcp <addr>: no route",
		"nxdomain: x.test does not exist (server 10.0.0.53:53)":   "nxdomain: x.test does not exist (server <addr>)",
		"no answer from ::1 or 2001:db8::5":                       "no answer from <addr> or <addr>",
		"dns: servfail: x.test (server 192.0.2.1)":                "dns: servfail: x.test (server <addr>)",
		"http: status 503 at 12:30:45, version 1.2.3.4.5":         "http: status 503 at 12:30:45, version 1.2.3.4.5",
		"certificate: x509: certificate signed by unknown author": "certificate: x509: certificate signed by unknown author",
	} {
		if got := Cause(in); got != want {
			t.Errorf("Cause(%q) = %q, want %q", in, got, want)
		}
	}
}

// Twenty timeouts that differ only in the ephemeral local port are one
// group, with the first message as the example.
func TestErrorsGroupByCause(t *testing.T) {
	var samples []sample.Sample
	for i := range 20 {
		msg := fmt.Sprintf("read tcp 127.0.0.1:%d->127.0.0.1:8080: i/o timeout", 40000+i)
		samples = append(samples, sample.Sample{Target: "a", Round: i, Phases: []sample.Phase{
			phase("http", sample.Failed, ms(1), &sample.Error{Kind: sdk.KindTimeout, Message: msg})}})
	}
	samples = append(samples, sample.Sample{Target: "a", Round: 20, Phases: []sample.Phase{
		phase("http", sample.Failed, ms(1), &sample.Error{Kind: sdk.KindReset, Message: "read tcp 127.0.0.1:1->127.0.0.1:8080: connection reset"})}})
	errs := Aggregate([]string{"a"}, samples)[0].Phases[0].Summary.Errors
	if len(errs) != 2 {
		t.Fatalf("%d groups, want 2: %+v", len(errs), errs)
	}
	if e := errs[0]; e.Count != 20 || e.Kind != sdk.KindTimeout || e.Message != "read tcp 127.0.0.1:40000->127.0.0.1:8080: i/o timeout" ||
		e.Cause != "read tcp <addr>-><addr>: i/o timeout" {
		t.Errorf("timeouts = %+v", e)
	}
	if e := errs[1]; e.Count != 1 || e.Kind != sdk.KindReset {
		t.Errorf("reset = %+v", e)
	}
}

func okProbe(target string, round int, d time.Duration) sample.Sample {
	return sample.Sample{Target: target, Round: round, Phases: []sample.Phase{phase("tcp", sample.OK, d, nil)}}
}

func failedProbe(target string, round int, name string, kind sdk.ErrorKind, msg string) sample.Sample {
	return sample.Sample{Target: target, Round: round, Phases: []sample.Phase{
		phase(name, sample.Failed, 0, &sample.Error{Kind: kind, Message: msg})}}
}

// Samples arrive out of round order, as they may from a parallel run; the
// interrupted fourth probe of web is left out, so web is up, 3/3.
func TestStatusJudgesByMostRecentRound(t *testing.T) {
	got := Aggregate([]string{"web", "flaky", "gone", "late"}, []sample.Sample{
		okProbe("web", 1, ms(2)), okProbe("web", 0, ms(1)), okProbe("web", 2, ms(3)),
		okProbe("flaky", 2, ms(4)),
		failedProbe("flaky", 0, "tcp", sdk.KindRefused, "connect 10.0.0.1:443: connection refused"),
		okProbe("flaky", 1, ms(5)),
		okProbe("gone", 0, ms(1)),
		failedProbe("gone", 2, "dns", sdk.KindNXDomain, "gone.test does not exist"),
		okProbe("gone", 1, ms(1)),
		failedProbe("web", 3, "http", sdk.KindCanceled, "interrupted"),
	})
	want := []Status{StatusUp, StatusDegraded, StatusDown, StatusUnknown}
	for i, tg := range got {
		if tg.Status != want[i] {
			t.Errorf("%s: %s, want %s", tg.Name, tg.Status, want[i])
		}
	}
	if web := got[0]; web.Probes != 3 || web.OK != 3 || web.LastFailure != nil {
		t.Errorf("web = %d/%d, failure %+v; the canceled probe must not count", web.OK, web.Probes, web.LastFailure)
	}
	if f := got[1].LastFailure; f == nil || f.Phase != "tcp" || f.Error.Kind != sdk.KindRefused {
		t.Errorf("flaky: last failure %+v, want the earlier tcp refusal", f)
	}
	if f := got[2].LastFailure; f == nil || f.Phase != "dns" || f.Error.Kind != sdk.KindNXDomain {
		t.Errorf("gone: last failure %+v", f)
	}
	if Count(got, StatusUp) != 1 || AllReachable(got) || !AllReachable(got[:2]) {
		t.Errorf("Count/AllReachable disagree with %v", want)
	}
}

// Only the latest probe's attributes are kept, merged over its phases.
func TestLastAttributesAndInsecure(t *testing.T) {
	first := sample.Sample{Target: "a", Phases: []sample.Phase{
		{Name: "tls", Status: sample.OK, Attributes: sdk.Attributes{"tls.insecure": true, "tls.version": "TLS 1.2"}}}}
	second := sample.Sample{Target: "a", Round: 1, Phases: []sample.Phase{
		{Name: "dns", Status: sample.OK, Attributes: sdk.Attributes{"dns.rcode": "NOERROR"}},
		{Name: "tls", Status: sample.OK, Attributes: sdk.Attributes{"tls.version": "TLS 1.3"}}}}
	a := Aggregate([]string{"a", "b"}, []sample.Sample{first, second})
	if got := a[0].LastAttr; len(got) != 2 || got["tls.version"] != "TLS 1.3" || got["dns.rcode"] != "NOERROR" {
		t.Errorf("last attributes = %v", got)
	}
	if names := InsecureNames(a); len(names) != 1 || names[0] != "a" {
		t.Errorf("insecure = %v, want [a]", names)
	}
}

// With a window, the figures cover the last N durations while the counts
// cover every probe.
func TestWindowKeepsTheLastDurations(t *testing.T) {
	a := NewAccumulator([]string{"a"}, Options{Window: 3})
	for i := 1; i <= 10; i++ {
		a.Add(okProbe("a", i, ms(i)))
	}
	s := a.Targets()[0].Phases[0].Summary
	if s.OK != 10 || s.Count != 10 || s.Min != ms(8) || s.Max != ms(10) || s.P50 != ms(9) || len(s.Durations) != 3 {
		t.Errorf("windowed summary = %+v; want counts over 10, figures over 8..10 ms", s)
	}
	for i := range MaxErrorGroups + 5 {
		a.Add(failedProbe("a", 10+i, "tcp", sdk.KindRefused, fmt.Sprintf("refused by host%d", i)))
	}
	s = a.Targets()[0].Phases[0].Summary
	if len(s.Errors) != MaxErrorGroups || s.OtherErrors != 5 || s.Failed != MaxErrorGroups+5 {
		t.Errorf("%d groups, %d other, %d failed; want %d, 5, %d", len(s.Errors), s.OtherErrors, s.Failed, MaxErrorGroups, MaxErrorGroups+5)
	}
}

// heapAfterFolding folds n four-phase probes, each with an attribute map as
// plugins report them, into acc and returns the live heap afterwards.
func heapAfterFolding(acc *Accumulator, from, n int) uint64 {
	for i := from; i < from+n; i++ {
		s := sample.Sample{Target: "a", Round: i}
		for _, name := range []string{"dns", "tcp", "tls", "http"} {
			s.Phases = append(s.Phases, sample.Phase{Name: name, Plugin: name + " 1", Status: sample.OK,
				Duration: time.Duration(i%1000) * time.Microsecond,
				Attributes: sdk.Attributes{
					name + ".remote": fmt.Sprintf("127.0.0.1:%d", i), name + ".detail": fmt.Sprintf("probe %d", i),
					name + ".list": []string{"x", "y", "z"}, name + ".time": time.Duration(i),
				}})
		}
		acc.Add(s)
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// What a run keeps per probe is its durations: one per phase and one for
// the total, 5 × 8 bytes here. The bound is generous (slices grow by
// doubling); the attribute maps (~2 KB a probe) would blow it.
func TestMemoryPerProbeIsAFewDurations(t *testing.T) {
	const n = 20000
	acc := NewAccumulator([]string{"a"}, Options{})
	before := heapAfterFolding(acc, 0, 1)
	after := heapAfterFolding(acc, 1, n)
	perProbe := (int64(after) - int64(before)) / n
	t.Logf("retained %d bytes per probe", perProbe)
	if perProbe > 200 {
		t.Errorf("retained %d bytes per folded probe, want a few durations (≤ 200)", perProbe)
	}
	if got := acc.Targets()[0]; got.Probes != n+1 || len(got.Phases) != 4 {
		t.Errorf("folded %d probes, %d phases", got.Probes, len(got.Phases))
	}
}

// With a window, memory stops growing once the window is full.
func TestMemoryBoundedWithWindow(t *testing.T) {
	const n = 20000
	acc := NewAccumulator([]string{"a"}, Options{Window: 100})
	before := heapAfterFolding(acc, 0, 1000)
	after := heapAfterFolding(acc, 1000, n)
	grown := int64(after) - int64(before)
	t.Logf("heap grew %d bytes over %d more probes", grown, n)
	if grown > 64<<10 {
		t.Errorf("heap grew %d bytes over %d probes with a window of 100, want it flat (≤ 64 KiB)", grown, n)
	}
}

func TestDropAttributesKeepsNoneButStillSeesInsecure(t *testing.T) {
	acc := NewAccumulator([]string{"a"}, Options{DropAttributes: true})
	acc.Add(sample.Sample{Target: "a", Phases: []sample.Phase{
		{Name: "tls", Status: sample.OK, Attributes: sdk.Attributes{"tls.insecure": true, "tls.version": "TLS 1.2"}}}})
	got := acc.Targets()
	if got[0].LastAttr != nil {
		t.Errorf("attributes kept: %v", got[0].LastAttr)
	}
	if !got[0].Insecure || got[0].Probes != 1 {
		t.Errorf("target = %+v", got[0])
	}
}
