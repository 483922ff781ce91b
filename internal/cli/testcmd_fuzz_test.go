//go:build linux

package cli

import (
	"strings"
	"testing"

	"github.com/probe-net/probe/core/config"
)

// FuzzParseTestTarget feeds probe test's HOST PORT PROTO arbitrary text.
// Whatever comes in: no panic; a target that passes the targets file's
// rules; or an error that is one short line of printable text.
func FuzzParseTestTarget(f *testing.F) {
	for _, c := range [][3]string{
		{"example.com", "443", "https"}, {"::1", "8443", "tls"}, {"[::1]", "80", "http"},
		{"127.0.0.1:80", "80", "http"}, {"[10.0.0.1]", "1", "tcp"}, {"a.test", "-1", "http"},
		{"a.test", "99999999999999999999", "HTTP"}, {"\x1b]0;T\x07", "80", "http"}, {"http://x", "80", "http"},
		{"", "", ""}, {"[", "0x50", "tcp"},
	} {
		f.Add(c[0], c[1], c[2])
	}
	f.Fuzz(func(t *testing.T, host, port, proto string) {
		tg, err := parseTestTarget([]string{host, port, proto})
		if err != nil {
			msg := err.Error()
			// Each value is quoted at most MaxValue characters long, an escaped byte
			// four characters: two quoted values stay under 4000 bytes.
			if len(msg) > 4000 || strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }) {
				t.Fatalf("message of %d bytes: %.300q", len(msg), msg)
			}
			return
		}
		switch {
		case !wireForm(tg.Host):
			t.Fatalf("%q: host %q is not in wire form", host, tg.Host)
		case config.ProtocolProblem(tg.Protocol) != "" || len(tg.Phases) == 0:
			t.Fatalf("%q: protocol %q", proto, tg.Protocol)
		case tg.Port < 1 || tg.Port > 65535:
			t.Fatalf("%q: port %d", port, tg.Port)
		}
	})
}

// wireForm reports whether host is what WireHost makes of it: checked and
// already in the form that goes on the wire.
func wireForm(host string) bool {
	wire, err := config.WireHost(host)
	return err == nil && wire == host
}
