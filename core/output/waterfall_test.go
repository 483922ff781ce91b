package output

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

const wfUS = time.Microsecond

// wfHTTPSSample is a successful https probe: 0.5 + 0.3 + 3.2 + 1.2 = 5.2 ms,
// the first response byte 1 ms into http.
func wfHTTPSSample() sample.Sample {
	return sample.Sample{Target: "secure", Wall: 9 * time.Millisecond, Phases: []sample.Phase{
		{Name: "dns", Plugin: "dns 0.1.0", Status: sample.OK, Duration: 500 * wfUS, Wall: 900 * wfUS, Attributes: sdk.Attributes{
			"dns.answers": []string{"127.0.0.1"}, "dns.server": "127.0.0.1:5353", "dns.transport": "udp",
			"dns.rcode": "NOERROR", "dns.source": "server", "dns.queries": int64(1)}},
		{Name: "tcp", Plugin: "tcp 0.1.0", Status: sample.OK, Duration: 300 * wfUS, Wall: 700 * wfUS, Attributes: sdk.Attributes{
			"tcp.remote": "127.0.0.1:443", "tcp.local": "127.0.0.1:50000", "tcp.family": "ipv4", "tcp.attempts": int64(1)}},
		{Name: "tls", Plugin: "tls 0.1.0", Status: sample.OK, Duration: 3200 * wfUS, Wall: 3900 * wfUS, Attributes: sdk.Attributes{
			"tls.version": "TLS 1.3", "tls.cipher": "TLS_AES_128_GCM_SHA256", "tls.server_name": "secure.probe.test",
			"tls.resumed": false, "tls.peer.subject": "CN=secure.probe.test", "tls.peer.sans": []string{"secure.probe.test", "www.probe.test"},
			"tls.peer.not_after": "2030-01-01T00:00:00Z", "tls.peer.days_left": int64(1000)}},
		{Name: "http", Plugin: "http 0.1.0", Status: sample.OK, Duration: 1200 * wfUS, Wall: 1800 * wfUS, Attributes: sdk.Attributes{
			"http.status": int64(200), "http.protocol": "HTTP/1.1", "http.method": "HEAD",
			"http.ttfb": 1000 * wfUS, "http.content_type": "text/plain"}},
	}}
}

// wfLiteralSample probes an IP literal over plain tcp: dns is skipped.
func wfLiteralSample() sample.Sample {
	return sample.Sample{Target: "raw", Phases: []sample.Phase{
		{Name: "dns", Status: sample.Skipped, Note: "host is an IP address"},
		{Name: "tcp", Plugin: "tcp 0.1.0", Status: sample.OK, Duration: 400 * wfUS},
	}}
}

// wfFailedSample fails in tls on an untrusted certificate.
func wfFailedSample() sample.Sample {
	s := wfHTTPSSample()
	s.Phases = s.Phases[:3]
	s.Phases[2] = sample.Phase{Name: "tls", Plugin: "tls 0.1.0", Status: sample.Failed, Duration: 2000 * wfUS,
		Error:      &sample.Error{Kind: sdk.KindCertificate, Message: "certificate signed by unknown authority: CN=x"},
		Attributes: sdk.Attributes{"tls.server_name": "secure.probe.test", "tls.peer.issuer": "CN=Testbed CA"}}
	return s
}

func wfMarksOf(s sample.Sample) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, m := range Marks(s) {
		out[m.Name] = m.At
	}
	return out
}

func TestMarksAddUp(t *testing.T) {
	got := Marks(wfHTTPSSample())
	want := []Mark{
		{MarkNameLookup, 500 * wfUS},
		{MarkConnect, 800 * wfUS},
		{MarkAppConnect, 4000 * wfUS},
		{MarkStartTransfer, 5000 * wfUS}, // appconnect + http.ttfb
		{MarkTotal, 5200 * wfUS},
	}
	if len(got) != len(want) {
		t.Fatalf("marks = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mark %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestMarksSkippedAndFailed(t *testing.T) {
	lit := wfMarksOf(wfLiteralSample())
	if v, ok := lit[MarkNameLookup]; !ok || v != 0 {
		t.Errorf("skipped dns: namelookup = %v (present %v), want 0", v, ok)
	}
	if lit[MarkConnect] != 400*wfUS || lit[MarkTotal] != 400*wfUS {
		t.Errorf("literal marks = %v", lit)
	}
	failed := wfMarksOf(wfFailedSample())
	if _, ok := failed[MarkAppConnect]; ok {
		t.Errorf("a failed tls phase must not give appconnect: %v", failed)
	}
	if failed[MarkConnect] != 800*wfUS || failed[MarkTotal] != 2800*wfUS {
		t.Errorf("failed marks = %v, want connect 0.8ms and total 2.8ms (up to the failure)", failed)
	}
}

func renderWaterfall(t *testing.T, s sample.Sample, width int) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteWaterfall(&buf, s, width, false); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > width {
			t.Errorf("line is %d columns, more than %d: %q", n, width, l)
		}
	}
	return lines
}

// barRun finds the run of c in line: its first column and its length.
func barRun(line string, c rune) (from, n int) {
	from = -1
	for i, r := range []rune(line) {
		if r == c {
			if from < 0 {
				from = i
			}
			n++
		}
	}
	return from, n
}

func TestWaterfallBarsAreProportional(t *testing.T) {
	for _, width := range []int{80, 120} {
		s := wfHTTPSSample()
		lines := renderWaterfall(t, s, width)
		total := s.Total()
		g := newWaterfall(s, width)
		next := g.prefix()
		var sum int
		for i, p := range s.Phases {
			row := lines[1+i]
			if !strings.HasPrefix(row, p.Name) || !strings.Contains(row, msText(p.Duration)) {
				t.Errorf("row %d = %q, want %s and its duration", i, row, p.Name)
			}
			from, n := barRun(row, '█')
			want := float64(p.Duration) / float64(total) * float64(g.bars)
			if math.Abs(float64(n)-want) > 1 {
				t.Errorf("width %d: %s bar is %d columns, want about %.1f", width, p.Name, n, want)
			}
			if from != next {
				t.Errorf("width %d: %s bar starts at column %d, want %d (where the previous one ended)", width, p.Name, from, next)
			}
			next, sum = from+n, sum+n
		}
		if sum != g.bars {
			t.Errorf("width %d: bars span %d columns, want all %d", width, sum, g.bars)
		}
	}
}

func TestWaterfallMarksEndAtTheirTicks(t *testing.T) {
	s := wfHTTPSSample()
	lines := renderWaterfall(t, s, 80)
	tickLine := lines[1+len(s.Phases)]
	markLines := lines[2+len(s.Phases):]
	marks := Marks(s)
	if len(markLines) != len(marks) {
		t.Fatalf("got %d mark lines, want %d:\n%s", len(markLines), len(marks), strings.Join(lines, "\n"))
	}
	for i, m := range marks {
		text := m.Name + ":" + msText(m.At) + "ms"
		end := strings.Index(markLines[i], text) + len(text) - 1
		if end < len(text)-1 {
			t.Fatalf("mark line %q lacks %q", markLines[i], text)
		}
		if end >= len(tickLine) || tickLine[end] != '|' {
			t.Errorf("%s ends at column %d, where the tick line %q has no tick", m.Name, end, tickLine)
		}
	}
	if !strings.HasSuffix(markLines[len(markLines)-1], "total:5.200ms") {
		t.Errorf("last mark line = %q, want total:5.200ms at the right end", markLines[len(markLines)-1])
	}
}

func TestWaterfallSkippedAndFailed(t *testing.T) {
	lit := renderWaterfall(t, wfLiteralSample(), 80)
	if !strings.HasPrefix(lit[1], "dns") || !strings.Contains(lit[1], "skipped") || !strings.Contains(lit[1], "(host is an IP address)") {
		t.Errorf("skipped row = %q", lit[1])
	}
	if _, n := barRun(lit[2], '█'); n != newWaterfall(wfLiteralSample(), 80).bars {
		t.Errorf("the only phase that ran should span the width: %q", lit[2])
	}
	failed := renderWaterfall(t, wfFailedSample(), 80)
	row := failed[3]
	if _, n := barRun(row, '░'); n == 0 || !strings.HasSuffix(row, " failed") || strings.ContainsRune(row, '█') {
		t.Errorf("failed row = %q, want a light bar and the tag", row)
	}
	if strings.Contains(strings.Join(failed, "\n"), MarkAppConnect) {
		t.Errorf("failed waterfall shows appconnect:\n%s", strings.Join(failed, "\n"))
	}
}

func TestWaterfallTinyPhaseStillShows(t *testing.T) {
	s := sample.Sample{Phases: []sample.Phase{
		{Name: "dns", Status: sample.OK, Duration: time.Microsecond},
		{Name: "tcp", Status: sample.OK, Duration: time.Second},
	}}
	lines := renderWaterfall(t, s, 80)
	if _, n := barRun(lines[1], '█'); n != 1 {
		t.Errorf("a 1µs phase next to a 1s one should get one column: %q", lines[1])
	}
}

func TestWaterfallWithoutTimeDoesNotDivideByZero(t *testing.T) {
	s := sample.Sample{Phases: []sample.Phase{
		{Name: "dns", Status: sample.Skipped},
		{Name: "tcp", Status: sample.Failed, Error: &sample.Error{Kind: sdk.KindTimeout, Message: "the 1s timeout ran out"}},
	}}
	lines := renderWaterfall(t, s, 80)
	if !strings.Contains(lines[2], "failed") {
		t.Errorf("failed row = %q", lines[2])
	}
}

func TestColourOnlyWhenAsked(t *testing.T) {
	for _, color := range []bool{false, true} {
		r := ProbeReport{Target: probeTarget("secure.probe.test", 443, "https"), Sample: wfFailedSample(), Probes: 1}
		buf := rendered(t, r, FormatTable, Options{Color: color})
		if has := strings.Contains(buf.String(), "\x1b["); has != color {
			t.Errorf("color=%v but escapes present=%v", color, has)
		}
	}
}

func probeTarget(host string, port int, proto string) sdk.Target {
	return sdk.Target{Name: "t", Host: host, Port: port, Protocol: proto}
}

func TestDetailsShowOnlyWhatIsPresent(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDetails(&buf, wfHTTPSSample(), false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"DNS    addresses     127.0.0.1\n",
		"       server        127.0.0.1:5353 (udp)\n",
		"TCP    remote        127.0.0.1:443\n",
		"TLS    server name   secure.probe.test\n",
		"       version       TLS 1.3\n",
		"       SANs          secure.probe.test, www.probe.test\n",
		"       not after     2030-01-01T00:00:00Z (1000 days left)\n",
		"HTTP   status        200 OK\n",
		"       first byte    1.000 ms\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("details lack %q:\n%s", want, out)
		}
	}
	for _, absent := range []string{"location", "curve", "cname", "source", "VERIFICATION"} {
		if strings.Contains(out, absent) {
			t.Errorf("details show %q, which was not reported:\n%s", absent, out)
		}
	}
}

func TestProbeReportWarnsAboutInsecure(t *testing.T) {
	s := wfHTTPSSample()
	s.Phases[2].Attributes["tls.insecure"] = true
	buf := rendered(t, ProbeReport{Target: probeTarget("secure.probe.test", 443, "https"), Sample: s, Probes: 1}, FormatTable, Options{Color: false})
	out := buf.String()
	if !strings.Contains(out, "WARNING: TLS VERIFICATION SKIPPED (--insecure)") || !strings.Contains(out, "verify        VERIFICATION SKIPPED (--insecure)") {
		t.Errorf("insecure probe lacks the warnings:\n%s", out)
	}
}

func TestProbeReportNamesTheFailure(t *testing.T) {
	r := ProbeReport{Target: probeTarget("::1", 8443, "https"), Sample: wfFailedSample(), Probes: 3}
	buf := rendered(t, r, FormatTable, Options{})
	out := buf.String()
	for _, want := range []string{
		"probe test [::1]:8443 https\n",
		"details of the last of 3 probes\n",
		"TLS    server name   secure.probe.test\n       issuer        CN=Testbed CA\n",
		"\nFAILED at tls: certificate: certificate signed by unknown authority: CN=x\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestPhaseErrorDoesNotRepeatItself(t *testing.T) {
	for _, c := range []struct {
		phase   string
		kind    sdk.ErrorKind
		message string
		want    string
	}{
		{"dns", sdk.KindNXDomain, "nxdomain: x.test does not exist", "dns: nxdomain: x.test does not exist"},
		{"dns", sdk.KindNXDomain, "x.test does not exist", "dns: nxdomain: x.test does not exist"},
		{"dns", sdk.KindDNS, "dns: x.test A: answered REFUSED", "dns: x.test A: answered REFUSED"},
		{"tls", sdk.KindCertificate, "unknown authority", "tls: certificate: unknown authority"},
	} {
		if got := phaseError(c.phase, c.kind, c.message); got != c.want {
			t.Errorf("phaseError(%q, %q, %q) = %q, want %q", c.phase, c.kind, c.message, got, c.want)
		}
	}
}

type wfProbeDoc struct {
	Schema string `json:"schema"`
	Target struct {
		Name, Host, Protocol string
		Port                 int
	} `json:"target"`
	OK     bool `json:"ok"`
	Phases []struct {
		Phase      string         `json:"phase"`
		Status     string         `json:"status"`
		DurationMS *float64       `json:"duration_ms"`
		Error      *sample.Error  `json:"error"`
		Attributes map[string]any `json:"attributes"`
	} `json:"phases"`
	Cumulative map[string]*float64 `json:"cumulative_ms"`
	Stats      *struct {
		Probes int `json:"probes"`
	} `json:"stats"`
}

func wfProbeJSONDoc(t *testing.T, r ProbeReport) wfProbeDoc {
	t.Helper()
	buf := rendered(t, r, FormatJSON, Options{})
	var doc wfProbeDoc
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	return doc
}

func TestProbeJSON(t *testing.T) {
	doc := wfProbeJSONDoc(t, ProbeReport{Target: probeTarget("secure.probe.test", 443, "https"), Sample: wfHTTPSSample(), Probes: 1})
	if doc.Schema != ProbeSchema || !doc.OK || doc.Target.Host != "secure.probe.test" || doc.Target.Port != 443 || doc.Stats != nil {
		t.Errorf("doc = %+v", doc)
	}
	if len(doc.Phases) != 4 || doc.Phases[2].Phase != "tls" || *doc.Phases[2].DurationMS != 3.2 || doc.Phases[2].Error != nil {
		t.Errorf("phases = %+v", doc.Phases)
	}
	if doc.Phases[3].Attributes["http.ttfb_ms"] != 1.0 {
		t.Errorf("http attributes = %v, want http.ttfb_ms = 1", doc.Phases[3].Attributes)
	}
	want := map[string]float64{"namelookup": 0.5, "connect": 0.8, "appconnect": 4, "starttransfer": 5, "total": 5.2}
	for k, v := range want {
		if got := doc.Cumulative[k]; got == nil || math.Abs(*got-v) > 1e-9 {
			t.Errorf("cumulative %s = %v, want %v", k, got, v)
		}
	}
}

func TestProbeJSONSkippedFailedAndStats(t *testing.T) {
	lit := wfProbeJSONDoc(t, ProbeReport{Target: probeTarget("127.0.0.1", 7, "tcp"), Sample: wfLiteralSample(), Probes: 1})
	if p := lit.Phases[0]; p.Status != "skipped" || p.DurationMS != nil {
		t.Errorf("skipped phase = %+v, want null duration", p)
	}
	if lit.Cumulative["appconnect"] != nil || lit.Cumulative["starttransfer"] != nil || *lit.Cumulative["namelookup"] != 0 {
		t.Errorf("tcp cumulative = %v", lit.Cumulative)
	}
	st := stats.Aggregate([]string{"secure"}, []sample.Sample{wfHTTPSSample(), wfFailedSample()})[0]
	failed := wfProbeJSONDoc(t, ProbeReport{Target: probeTarget("secure.probe.test", 443, "https"), Sample: wfFailedSample(), Probes: 2, Stats: &st})
	if failed.OK || failed.Phases[2].Error == nil || failed.Phases[2].Error.Kind != sdk.KindCertificate {
		t.Errorf("failed doc = %+v", failed)
	}
	if failed.Stats == nil || failed.Stats.Probes != 2 {
		t.Errorf("stats = %+v, want 2 probes", failed.Stats)
	}
}

func TestExpiryTextCountsWholeDays(t *testing.T) {
	at := "2030-01-01T00:00:00Z"
	for _, tc := range []struct {
		days    int64
		expired bool
		want    string
	}{
		{300, false, at + " (300 days left)"},
		{1, false, at + " (1 day left)"},
		{0, false, at + " (0 days left)"},
		{0, true, at + " (EXPIRED less than a day ago)"},
		{-1, true, at + " (EXPIRED 1 day ago)"},
		{-2, true, at + " (EXPIRED 2 days ago)"},
	} {
		a := map[string]any{"tls.peer.not_after": at, "tls.peer.days_left": tc.days, "tls.peer.expired": tc.expired}
		if got := detailTLSExpiry(a); got != tc.want {
			t.Errorf("days_left %d, expired %v: %q, want %q", tc.days, tc.expired, got, tc.want)
		}
	}
}

func TestDetailsNameTheChainCertificateThatExpiresFirst(t *testing.T) {
	s := wfHTTPSSample()
	a := s.Phases[2].Attributes
	a["tls.chain.subject"], a["tls.chain.not_after"], a["tls.chain.days_left"] = "CN=Short Intermediate", "2027-01-01T00:00:00Z", int64(10)
	var buf bytes.Buffer
	if err := WriteDetails(&buf, s, false); err != nil {
		t.Fatal(err)
	}
	if want := "       chain expiry  2027-01-01T00:00:00Z (10 days left) CN=Short Intermediate\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("details lack %q:\n%s", want, buf.String())
	}
	// When the leaf is the first to expire, its line says it all.
	a["tls.chain.subject"], a["tls.chain.not_after"] = a["tls.peer.subject"], a["tls.peer.not_after"]
	buf.Reset()
	if err := WriteDetails(&buf, s, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "chain expiry") {
		t.Errorf("details repeat the leaf's expiry as the chain's:\n%s", buf.String())
	}
}

// An internationalised name is shown in Unicode with its A-label, which
// is what was probed.
func TestReportsShowAnInternationalisedNameWithItsALabel(t *testing.T) {
	target := probeTarget("xn--bcher-kva.probe.test", 443, "https")
	r := ProbeReport{Target: target, Sample: wfHTTPSSample(), Probes: 1}
	if want := "probe test bücher.probe.test:443 https (xn--bcher-kva.probe.test)\n"; !strings.HasPrefix(rendered(t, r, FormatTable, Options{}).String(), want) {
		t.Errorf("header is not %q", want)
	}
	var doc struct {
		Target struct {
			Host        string `json:"host"`
			HostUnicode string `json:"host_unicode"`
		} `json:"target"`
	}
	if err := json.Unmarshal(rendered(t, r, FormatJSON, Options{}).Bytes(), &doc); err != nil || doc.Target.Host != "xn--bcher-kva.probe.test" || doc.Target.HostUnicode != "bücher.probe.test" {
		t.Errorf("JSON target = %+v (%v), want host and host_unicode", doc.Target, err)
	}
	if got := TargetAddress(target); got != "bücher.probe.test:443/https (xn--bcher-kva.probe.test)" {
		t.Errorf("TargetAddress = %q", got)
	}
	if got := TargetAddress(probeTarget("www.probe.test", 80, "http")); got != "www.probe.test:80/http" {
		t.Errorf("TargetAddress of an ASCII name = %q", got)
	}
}

// A DoH server's name resolved by the system resolver is called out.
func TestDetailsSayWhenTheSystemResolverBootstrappedDoH(t *testing.T) {
	s := wfHTTPSSample()
	s.Phases[0].Attributes["dns.bootstrap"] = "system resolver"
	var buf bytes.Buffer
	if err := WriteDetails(&buf, s, false); err != nil {
		t.Fatal(err)
	}
	if want := "       bootstrap     system resolver (looked up the DoH server's name, inside the dns time)\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("details lack %q:\n%s", want, buf.String())
	}
}

func TestDetailsShowTheBodyTransfer(t *testing.T) {
	s := wfHTTPSSample()
	a := s.Phases[3].Attributes
	a["http.method"], a["http.transfer"], a["http.body_bytes"] = "GET", 1001*time.Millisecond, int64(5)
	a["http.body_complete"], a["http.body_error"] = false, "i/o timeout"
	var buf bytes.Buffer
	if err := WriteDetails(&buf, s, false); err != nil {
		t.Fatal(err)
	}
	if want := "       transfer      1001 ms, 5 bytes, incomplete: i/o timeout (body read, not in the phase's time)\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("details lack %q:\n%s", want, buf.String())
	}
}

func TestDetailsNameAnInterimResponsesFirstByte(t *testing.T) {
	s := wfHTTPSSample()
	a := s.Phases[3].Attributes
	a["http.interim"], a["http.final_ttfb"] = []string{"103 Early Hints"}, 300*time.Millisecond
	var buf bytes.Buffer
	if err := WriteDetails(&buf, s, false); err != nil {
		t.Fatal(err)
	}
	if want := "       first byte    1.000 ms (103 Early Hints); final response 300.0 ms\n"; !strings.Contains(buf.String(), want) {
		t.Errorf("details lack %q:\n%s", want, buf.String())
	}
}
