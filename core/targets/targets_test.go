package targets

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	got, err := Parse(" web.test:8080:http, [::1]:443:https ,10.0.0.1:22:tcp")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, host, proto string
		port              int
		chain             string
	}{
		{"web.test:8080:http", "web.test", "http", 8080, "dns,tcp,http"},
		{"[::1]:443:https", "::1", "https", 443, "dns,tcp,tls,http"},
		{"10.0.0.1:22:tcp", "10.0.0.1", "tcp", 22, "dns,tcp"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d targets: %+v", len(got), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Host != w.host || g.Protocol != w.proto || g.Port != w.port || strings.Join(g.Phases, ",") != w.chain || g.Timeout <= 0 {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for _, v := range []string{"", " ", "\t"} {
		got, err := Parse(v)
		if err != nil || len(got) != 0 {
			t.Errorf("Parse(%q) = %v, %v", v, got, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ value, want string }{
		{"web.test", `PRECONNECT_HOSTS entry 1 "web.test": want host:port:proto`},
		{"web.test:80", `PRECONNECT_HOSTS entry 1 "web.test:80": want host:port:proto`},
		{"ok.test:1:tcp,web.test:http:80", `PRECONNECT_HOSTS entry 2 "web.test:http:80": port "http" is not a number from 1 to 65535`},
		{"web.test:0:http", `PRECONNECT_HOSTS entry 1 "web.test:0:http": port "0" is not a number from 1 to 65535`},
		{"web.test:70000:http", `PRECONNECT_HOSTS entry 1 "web.test:70000:http": port "70000" is not a number from 1 to 65535`},
		{"web.test:80:gopher", `PRECONNECT_HOSTS entry 1 "web.test:80:gopher": protocol "gopher" is not one of tcp, tls, http, https`},
		{"::1:443:https", `PRECONNECT_HOSTS entry 1 "::1:443:https": write an IPv6 address in brackets: [::1]:443:https`},
		{"fe80::1:443:https", `PRECONNECT_HOSTS entry 1 "fe80::1:443:https": write an IPv6 address in brackets: [fe80::1]:443:https`},
		{"host:1:https:extra", `PRECONNECT_HOSTS entry 1 "host:1:https:extra": want host:port:proto, but it has 4 fields; "extra" after the protocol is one too many (entries are separated by commas)`},
		{"a.test:80:HTTP", `PRECONNECT_HOSTS entry 1 "a.test:80:HTTP": protocol "HTTP": protocols are written in lower case: "http"`},
		{"a.test:80:http,,b.test:1:tcp", `PRECONNECT_HOSTS entry 2 is empty: remove the extra comma (entries are host:port:proto, separated by commas)`},
		{"a.test:80:http,", `PRECONNECT_HOSTS entry 2 is empty: remove the extra comma (entries are host:port:proto, separated by commas)`},
		{",a.test:80:http", `PRECONNECT_HOSTS entry 1 is empty: remove the extra comma (entries are host:port:proto, separated by commas)`},
		{"a.test:-1:http", `PRECONNECT_HOSTS entry 1 "a.test:-1:http": port "-1" is not a number from 1 to 65535`},
		{"a.test:+80:http", `PRECONNECT_HOSTS entry 1 "a.test:+80:http": port "+80" is not a number from 1 to 65535`},
		{"a.test:99999999999999999999:http", `PRECONNECT_HOSTS entry 1 "a.test:99999999999999999999:http": port "99999999999999999999" is not a number from 1 to 65535`},
		{"a\x1b]0;T\a.test:80:http", `PRECONNECT_HOSTS entry 1 "a\x1b]0;T\a.test:80:http": host must be a name or IP address; "a\x1b]0;T\a.test" contains control characters or invalid UTF-8`},
		{"a b:80:http", `PRECONNECT_HOSTS entry 1 "a b:80:http": host must be a name or IP address; "a b" contains spaces`},
		{"[::1:443:https", `PRECONNECT_HOSTS entry 1 "[::1:443:https": missing ] after the IPv6 address`},
		{"[10.0.0.1]:443:https", `PRECONNECT_HOSTS entry 1 "[10.0.0.1]:443:https": "10.0.0.1" is not an IPv6 address`},
		{"[::1]443:https", `PRECONNECT_HOSTS entry 1 "[::1]443:https": want [ipv6]:port:proto`},
		{":80:http", `PRECONNECT_HOSTS entry 1 ":80:http": want host:port:proto`},
		{"http://web.test:80:http", `PRECONNECT_HOSTS entry 1 "http://web.test:80:http": want host:port:proto, not a URL`},
		{"web.test/x:80:http", `PRECONNECT_HOSTS entry 1 "web.test/x:80:http": host must be a name or IP address, not a URL ("web.test/x")`},
	} {
		_, err := Parse(c.value)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q)\n error %v\n want  %s", c.value, err, c.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	got := DefaultTargets()
	if len(got) != 6 {
		t.Fatalf("%d default targets, want the guide's 6", len(got))
	}
	names := map[string]bool{}
	for i, g := range got {
		d := Defaults[i]
		if g.Host != d.Host || g.Port != d.Port || g.Protocol != d.Protocol || len(g.Phases) == 0 || names[g.Name] {
			t.Errorf("default %d = %+v", i, g)
		}
		names[g.Name] = true
	}
	if got[4].Host != "api.example.com" || got[4].Protocol != "https" || strings.Join(got[4].Phases, ",") != "dns,tcp,tls,http" {
		t.Errorf("production api = %+v", got[4])
	}
}

// A 1 MB entry is not repeated whole in the error.
func TestParseErrorShortensLongEntries(t *testing.T) {
	_, err := Parse(strings.Repeat("a", 1<<20) + " b:80:http")
	if err == nil || len(err.Error()) > 1500 || !strings.Contains(err.Error(), "bytes left out") {
		t.Errorf("error of %d bytes: %.300v", len(err.Error()), err)
	}
}

// PRECONNECT_HOSTS names get what a targets file's get: IDNA mapping to
// A-labels and the same checks.
func TestParseMapsInternationalisedNames(t *testing.T) {
	got, err := Parse("bücher.probe.test:443:https")
	if err != nil {
		t.Fatal(err)
	}
	if g := got[0]; g.Host != "xn--bcher-kva.probe.test" || g.Name != "bücher.probe.test:443:https" {
		t.Errorf("target = %+v, want host xn--bcher-kva.probe.test named as written", g)
	}
	for value, want := range map[string]string{
		"a\u200db.probe.test:443:https": `PRECONNECT_HOSTS entry 1 "a\u200db.probe.test:443:https": "a\u200db.probe.test" is not a valid internationalised domain name (IDNA 2008, UTS #46): invalid label "a\u200db"`,
		"web test:80:http":              `PRECONNECT_HOSTS entry 1 "web test:80:http": host must be a name or IP address; "web test" contains spaces`,
	} {
		if _, err := Parse(value); err == nil || err.Error() != want {
			t.Errorf("Parse(%q)\n error %v\n want  %s", value, err, want)
		}
	}
}
