package hostlist

import (
	"slices"
	"testing"

	"github.com/probe-net/probe/plugins/registry"
)

func TestParse(t *testing.T) {
	got, err := Parse(" web.test:8080:http, [::1]:443:HTTPS ,10.0.0.1:22:tcp,,")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Name: "web.test:8080:http", Host: "web.test", Port: 8080, Protocol: "http"},
		{Name: "[::1]:443:https", Host: "::1", Port: 443, Protocol: "https"},
		{Name: "10.0.0.1:22:tcp", Host: "10.0.0.1", Port: 22, Protocol: "tcp"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d targets: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], w)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for _, v := range []string{"", " ", ",,"} {
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
		{"::1:443:https", `PRECONNECT_HOSTS entry 1 "::1:443:https": want host:port:proto`},
		{"fe80::1:443:https", `PRECONNECT_HOSTS entry 1 "fe80::1:443:https": too many colons; write IPv6 addresses in brackets, as [::1]:443:https`},
		{"[::1:443:https", `PRECONNECT_HOSTS entry 1 "[::1:443:https": missing ] after the IPv6 address`},
		{"[10.0.0.1]:443:https", `PRECONNECT_HOSTS entry 1 "[10.0.0.1]:443:https": "10.0.0.1" is not an IPv6 address`},
		{"[::1]443:https", `PRECONNECT_HOSTS entry 1 "[::1]443:https": want [ipv6]:port:proto`},
		{":80:http", `PRECONNECT_HOSTS entry 1 ":80:http": want host:port:proto`},
		{"http://web.test:80:http", `PRECONNECT_HOSTS entry 1 "http://web.test:80:http": too many colons; write IPv6 addresses in brackets, as [::1]:443:https`},
	} {
		_, err := Parse(c.value)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q)\n error %v\n want  %s", c.value, err, c.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	got := Defaults()
	if len(got) != 6 {
		t.Fatalf("%d default targets, want the guide's 6", len(got))
	}
	names := map[string]bool{}
	for i, g := range got {
		if g.Host == "" || g.Port < 1 || !slices.Contains(registry.ProtocolNames(), g.Protocol) || g.Description == "" || names[g.Name] {
			t.Errorf("default %d = %+v", i, g)
		}
		names[g.Name] = true
	}
	if got[4] != (Entry{"production-api", "api.example.com", 443, "https", "Production API"}) {
		t.Errorf("production api = %+v", got[4])
	}
	got[0].Host = "changed"
	if Defaults()[0].Host != "localhost" {
		t.Error("Defaults returned the package's own slice")
	}
}
