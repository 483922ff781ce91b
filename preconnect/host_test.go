package preconnect_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/probe-net/probe/preconnect"
	"github.com/probe-net/probe/sdk"
)

func TestHostReportsPhasesAddressAndTLS(t *testing.T) {
	tb := startTestbed(t)
	client, err := preconnect.New(testbedConfig(tb))
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.Host(context.Background(), preconnect.Target{Host: "secure.probe.test", Port: port(t, tb.HTTPSAddr)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Target.Protocol != "https" || r.Target.Timeout != preconnect.DefaultTimeout || r.Target.Name != "secure.probe.test:"+strings.Split(tb.HTTPSAddr, ":")[1]+":https" {
		t.Errorf("defaults not filled in: %+v", r.Target)
	}
	if outline(r) != "dns:ok tcp:ok tls:ok http:ok" {
		t.Errorf("phases %s", outline(r))
	}
	if r.DNS <= 0 || r.TCP <= 0 || r.TLS <= 0 || r.HTTP <= 0 || r.Latency != r.DNS+r.TCP+r.TLS+r.HTTP {
		t.Errorf("durations dns %v tcp %v tls %v http %v latency %v", r.DNS, r.TCP, r.TLS, r.HTTP, r.Latency)
	}
	if r.Address.String() != tb.HTTPSAddr {
		t.Errorf("address %v, want %s", r.Address, tb.HTTPSAddr)
	}
	if i := r.TLSInfo; i == nil || i.Version != "TLS 1.3" || i.ALPN != "http/1.1" || i.ServerName != "secure.probe.test" || i.Resumed {
		t.Errorf("TLS %+v", i)
	}
	if tb.Accepted("https") != 1 || len(tb.Requests("https")) != 1 {
		t.Errorf("server saw %d connections, %d requests; want one each", tb.Accepted("https"), len(tb.Requests("https")))
	}
}

func TestHostRejectsBadTargets(t *testing.T) {
	tb := startTestbed(t)
	client, err := preconnect.New(testbedConfig(tb))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		target preconnect.Target
		want   string
	}{
		{preconnect.Target{Port: 80}, `target ":80:https": host must not be empty`},
		{preconnect.Target{Host: "a.test", Protocol: "gopher"}, `protocol "gopher" is not one of tcp, tls, http, https`},
		{preconnect.Target{Host: "a.test", Protocol: "tcp"}, "protocol tcp has no default port: set Port"},
		{preconnect.Target{Host: "a.test", Port: 70000}, "port 70000 is not from 1 to 65535"},
		{preconnect.Target{Host: "a b.test", Port: 80}, `host must be a name or IP address; "a b.test" contains spaces`},
		{preconnect.Target{Host: "https://a.test", Port: 80}, `host must be a name or IP address, not a URL`},
	} {
		r, err := client.Host(context.Background(), c.target)
		var e *preconnect.Error
		if !errors.As(err, &e) || e.Kind != sdk.KindInput || e.Phase != "" || !strings.Contains(err.Error(), c.want) || len(r.Phases) != 0 || r.Err != err {
			t.Errorf("%+v: %v, want kind input %q and no phases", c.target, err, c.want)
		}
	}
	if len(tb.DNSQueries()) != 0 {
		t.Errorf("bad targets made %d DNS queries", len(tb.DNSQueries()))
	}
}

func TestAllHonoursCancellation(t *testing.T) {
	tb := startTestbed(t)
	client, err := preconnect.New(testbedConfig(tb))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	targets := []preconnect.Target{{Host: "www.probe.test", Port: port(t, tb.HTTPAddr), Protocol: "http"}}
	for _, r := range client.All(ctx, targets, preconnect.Options{Sequential: true}) {
		var e *preconnect.Error
		if !errors.As(r.Err, &e) || e.Kind != sdk.KindCanceled {
			t.Errorf("%v, want kind canceled", r.Err)
		}
	}
	if tb.Accepted("http") != 0 {
		t.Error("a cancelled All connected")
	}
}

func TestNewRejectsConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  preconnect.Config
		want string
	}{
		{preconnect.Config{DNS: preconnect.Attrs{"server": "127.0.0.1"}}, `preconnect: dns config: unknown attribute "server" (known: servers, `},
		{preconnect.Config{DNS: preconnect.Attrs{"servers": "127.0.0.1"}}, `preconnect: dns config: servers: want list(string), got "127.0.0.1"`},
		{preconnect.Config{DNS: preconnect.Attrs{"servers": []string{"127.0.0.1"}, "timeout": "soon"}}, "preconnect: dns config: timeout:"},
		{preconnect.Config{TLS: preconnect.Attrs{"ca_file": "/nonexistent/ca.pem"}}, `preconnect: tls config: ca_file: cannot read "/nonexistent/ca.pem"`},
	} {
		if _, err := preconnect.New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestStatsNearestRank(t *testing.T) {
	ms := time.Millisecond
	ok := func(tcp time.Duration) preconnect.Result {
		return preconnect.Result{Phases: []preconnect.Phase{
			{Name: "dns", Status: preconnect.Skipped},
			{Name: "tcp", Status: preconnect.OK, Duration: tcp},
		}, TCP: tcp, Latency: tcp}
	}
	refused := &preconnect.Error{Phase: "tcp", Kind: sdk.KindRefused, Message: "connection refused"}
	results := []preconnect.Result{ok(4 * ms), ok(1 * ms), ok(3 * ms), ok(2 * ms),
		{Phases: []preconnect.Phase{{Name: "dns", Status: preconnect.Skipped}, {Name: "tcp", Status: preconnect.Failed, Err: refused}}, Err: refused},
		{Err: &preconnect.Error{Kind: sdk.KindInput, Message: "no host"}},
	}
	s := preconnect.Stats(results)
	if s.Count != 6 || s.OK != 4 || s.Failed != 2 {
		t.Errorf("counts %d/%d/%d", s.Count, s.OK, s.Failed)
	}
	if len(s.Phases) != 2 || s.Phases[0].Name != "dns" || s.Phases[0].Skipped != 5 || s.Phases[1].Name != "tcp" {
		t.Fatalf("phases %+v", s.Phases)
	}
	tcp := s.Phases[1].Summary
	// Nearest rank over 1,2,3,4 ms: p50 at rank 2, p90 at rank 4.
	if tcp.OK != 4 || tcp.Failed != 1 || tcp.Min != ms || tcp.P50 != 2*ms || tcp.P90 != 4*ms || tcp.Max != 4*ms || tcp.Mean != 2500*time.Microsecond {
		t.Errorf("tcp %+v", tcp)
	}
	if s.Latency.Count != 6 || s.Latency.OK != 4 || s.Latency.Failed != 2 || s.Latency.P50 != 2*ms {
		t.Errorf("latency %+v", s.Latency)
	}
	if len(s.Errors) != 2 || s.Errors[0].Kind != sdk.KindRefused || s.Errors[0].Phase != "tcp" || s.Errors[1].Kind != sdk.KindInput || s.Errors[1].Phase != "" {
		t.Errorf("errors %+v", s.Errors)
	}
}

func TestParseHostsIsTheCLIs(t *testing.T) {
	got, err := preconnect.ParseHosts("web.test:8080:http, [::1]:443:https")
	if err != nil {
		t.Fatal(err)
	}
	want := []preconnect.Target{
		{Name: "web.test:8080:http", Host: "web.test", Port: 8080, Protocol: "http"},
		{Name: "[::1]:443:https", Host: "::1", Port: 443, Protocol: "https"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParseHosts = %+v", got)
	}
	_, err = preconnect.ParseHosts("ok.test:1:tcp,web.test:http:80")
	if err == nil || err.Error() != `PRECONNECT_HOSTS entry 2 "web.test:http:80": port "http" is not a number from 1 to 65535` {
		t.Errorf("error %v", err)
	}
	t.Setenv(preconnect.EnvHosts, "db.test:5432:tcp")
	env, err := preconnect.HostsFromEnv()
	if err != nil || len(env) != 1 || env[0].Port != 5432 {
		t.Errorf("HostsFromEnv = %+v, %v", env, err)
	}
	if d := preconnect.DefaultTargets(); len(d) != 6 || d[4].Host != "api.example.com" || d[4].Protocol != "https" {
		t.Errorf("DefaultTargets = %+v", d)
	}
}

// An internationalised name goes on the wire as its A-label, as the CLI
// sends it.
func TestHostSendsALabels(t *testing.T) {
	tb := startTestbed(t)
	client, err := preconnect.New(testbedConfig(tb))
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.Host(context.Background(), preconnect.Target{Host: "bücher.probe.test", Port: port(t, tb.HTTPSAddr), Protocol: "https"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Target.Host != "xn--bcher-kva.probe.test" || !strings.HasPrefix(r.Target.Name, "bücher.probe.test:") {
		t.Errorf("target %+v", r.Target)
	}
	if r.TLSInfo.ServerName != "xn--bcher-kva.probe.test" {
		t.Errorf("SNI %q", r.TLSInfo.ServerName)
	}
	if reqs := tb.Requests("https"); len(reqs) != 1 || !strings.HasPrefix(reqs[0].Host, "xn--bcher-kva.probe.test") {
		t.Errorf("requests %+v", reqs)
	}
	for _, q := range tb.DNSQueries() {
		if q.Name != "xn--bcher-kva.probe.test." {
			t.Errorf("query for %q", q.Name)
		}
	}
	if len(tb.DNSQueries()) == 0 {
		t.Error("no DNS query")
	}
}

// Protocols are lower case, as everywhere in probe: Phases and Target agree.
func TestProtocolsAreLowerCase(t *testing.T) {
	if p := preconnect.Phases("HTTPS"); p != nil {
		t.Errorf("Phases(HTTPS) = %v, want nil", p)
	}
	client, err := preconnect.New(noDNS)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Host(context.Background(), preconnect.Target{Host: "127.0.0.1", Port: 1, Protocol: "HTTPS"})
	var e *preconnect.Error
	if !errors.As(err, &e) || e.Kind != preconnect.KindInput || !strings.Contains(err.Error(), `protocol "HTTPS": protocols are written in lower case: "https"`) {
		t.Errorf("Protocol HTTPS: %v, want kind input saying protocols are lower case", err)
	}
}

// Attrs take the Go values the Config example shows: a time.Duration for a
// duration, []int for a list of numbers.
func TestConfigTakesGoValues(t *testing.T) {
	srv := startServer(t, false, false, 0)
	client, err := preconnect.New(preconnect.Config{
		DNS:  preconnect.Attrs{"servers": []string{"127.0.0.1:9"}, "timeout": 300 * time.Millisecond},
		HTTP: preconnect.Attrs{"path": "/", "expect_status": []int{204}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Host(context.Background(), srv.target(t))
	var e *preconnect.Error
	if !errors.As(err, &e) || e.Kind != preconnect.KindHTTPStatus {
		t.Errorf("a 200 where expect_status is [204]: %v, want kind http_status", err)
	}
}

// Statistics list phases in chain order whatever the order of results.
func TestStatsPhasesInChainOrder(t *testing.T) {
	phases := func(names ...string) preconnect.Result {
		var r preconnect.Result
		for _, n := range names {
			r.Phases = append(r.Phases, preconnect.Phase{Name: n, Status: preconnect.OK, Duration: time.Millisecond})
		}
		return r
	}
	s := preconnect.Stats([]preconnect.Result{phases("dns", "tcp", "http"), phases("dns", "tcp", "tls", "http")})
	var got []string
	for _, p := range s.Phases {
		got = append(got, p.Name)
	}
	if strings.Join(got, ",") != "dns,tcp,tls,http" {
		t.Errorf("Stats phases %v, want dns,tcp,tls,http", got)
	}
}

func TestTargetFromURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		want preconnect.Target
	}{
		{"https://api.example.com/v1/items?x=1", preconnect.Target{Host: "api.example.com", Port: 443, Protocol: "https"}},
		{"http://user@[::1]:8080/", preconnect.Target{Host: "::1", Port: 8080, Protocol: "http"}},
		{"HTTP://www.example.com", preconnect.Target{Host: "www.example.com", Port: 80, Protocol: "http"}},
	} {
		got, err := preconnect.TargetFromURL(c.url)
		if err != nil || got != c.want {
			t.Errorf("TargetFromURL(%q) = %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
	for _, c := range []struct{ url, want string }{
		{"ftp://files.example.com/", `preconnect: input: URL "ftp://files.example.com/": the scheme must be http or https`},
		{"api.example.com:443", `preconnect: input: URL "api.example.com:443": the scheme must be http or https`},
		{"https:///path", `preconnect: input: URL "https:///path": no host`},
		{"https://a.example:0/", `preconnect: input: URL "https://a.example:0/": port "0" is not a number from 1 to 65535`},
		{"https://a b.example/", `preconnect: input: URL "https://a b.example/": not a URL: invalid character " " in host name`},
	} {
		_, err := preconnect.TargetFromURL(c.url)
		var e *preconnect.Error
		if !errors.As(err, &e) || e.Kind != preconnect.KindInput || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("TargetFromURL(%q): %v, want %q", c.url, err, c.want)
		}
	}
}
