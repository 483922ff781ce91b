package targets

import (
	"strings"
	"testing"

	"github.com/probe-net/probe/core/config"
)

// FuzzParse feeds PRECONNECT_HOSTS arbitrary values. Whatever comes in: no
// panic; every target it returns passes the targets file's rules and
// parses back from its own name to the same target; an error is one short
// line of printable text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", " ", "web.test:8080:http", " web.test:8080:http, [::1]:443:https ,10.0.0.1:22:tcp",
		"[fe80::1%eth0]:443:https", "a.test:80:HTTP", "a:1:http,,b:2:tcp", "host:1:https:extra",
		"::1:443:https", "[::1]443:https", "a.test:-1:http", "a.test:99999999999999999999:tls",
		"\x1b]0;T\x07:80:http", "http://a.test:80:http", "a b:80:http", "[10.0.0.1]:1:tcp",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, err := Parse(value)
		if err != nil {
			checkMessage(t, err.Error())
			return
		}
		for _, tg := range got {
			switch {
			case !wireForm(tg.Host):
				t.Fatalf("%q: host %q is not in wire form", value, tg.Host)
			case config.ProtocolProblem(tg.Protocol) != "":
				t.Fatalf("%q: protocol %q", value, tg.Protocol)
			case tg.Port < 1 || tg.Port > 65535 || len(tg.Phases) == 0:
				t.Fatalf("%q: target %+v", value, tg)
			}
			again, err := Parse(tg.Name)
			if err != nil || len(again) != 1 || again[0].Name != tg.Name || again[0].Host != tg.Host ||
				again[0].Port != tg.Port || again[0].Protocol != tg.Protocol {
				t.Fatalf("%q: name %q parses to %+v, %v", value, tg.Name, again, err)
			}
		}
	})
}

// FuzzParsePort: a port is 1 to 65535 and nothing else reads as one.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "0", "65535", "65536", "-1", "+80", "0080", " 80", "1e3", "99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		port, err := ParsePort(s)
		if err != nil {
			checkMessage(t, err.Error())
			return
		}
		if port < 1 || port > 65535 || strings.Trim(s, "0123456789") != "" {
			t.Fatalf("%q reads as port %d", s, port)
		}
	})
}

func checkMessage(t *testing.T, msg string) {
	t.Helper()
	// Each value is quoted at most MaxValue characters long, an escaped byte
	// four characters: two quoted values stay under 4000 bytes.
	if len(msg) > 4000 || strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }) {
		t.Fatalf("message of %d bytes: %.300q", len(msg), msg)
	}
}

// wireForm reports whether host is what WireHost makes of it: checked and
// already in the form that goes on the wire.
func wireForm(host string) bool {
	wire, err := config.WireHost(host)
	return err == nil && wire == host
}
