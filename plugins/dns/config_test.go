//go:build linux

package dnsphase

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/probe-net/probe/sdk/sdktest"
)

func TestConfigErrors(t *testing.T) {
	_, caFile := testCert(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	badHosts := writeFile(t, "hosts", "127.0.0.1 localhost\n300.1.1.1 broken\n")
	notPEM := writeFile(t, "ca.txt", "not a certificate\n")
	h := sdktest.New(t, testPhase(t))
	for _, tc := range []struct {
		config, attribute, message string
	}{
		{`{"servers":["127.0.0.1"],"transport":"quic"}`, "transport", `unknown transport "quic" (want udp, tcp, dot or doh)`},
		{`{"servers":[]}`, "servers", "must list at least one server"},
		{`{"servers":["127.0.0.1","dns.example"]}`, "servers[1]", `"dns.example" is not an IP address or IP:port`},
		{`{"servers":["dns.example:53"]}`, "servers[0]", `"dns.example:53": "dns.example" is not an IP address`},
		{`{"servers":["127.0.0.1:dns"]}`, "servers[0]", `"127.0.0.1:dns" has an invalid port "dns"`},
		{`{"servers":["[::1]:0"]}`, "servers[0]", `"[::1]:0" has an invalid port "0"`},
		{`{"servers":["http://127.0.0.1/dns-query"],"transport":"doh"}`, "servers[0]", `"http://127.0.0.1/dns-query" is not an https URL (write e.g. "https://dns.example/dns-query")`},
		{`{"servers":["https://127.0.0.1:99999/dns-query"],"transport":"doh"}`, "servers[0]", `"https://127.0.0.1:99999/dns-query" has an invalid port "99999"`},
		{`{"transport":"doh"}`, "servers", `required with transport "doh" (list https URLs)`},
		{`{"servers":["127.0.0.1"],"timeout":"soon"}`, "timeout", `invalid duration "soon" (write e.g. "500ms" or "2s")`},
		{`{"servers":["127.0.0.1"],"timeout":"-1s"}`, "timeout", `must be positive, got "-1s"`},
		{`{"servers":["127.0.0.1"],"attempts":0}`, "attempts", "must be between 1 and 10, got 0"},
		{`{"servers":["127.0.0.1"],"attempts":1.5}`, "attempts", "must be a whole number, got 1.5"},
		{`{"servers":["127.0.0.1"],"attempts":"two"}`, "attempts", "wrong type: got a JSON string, want a number"},
		{`{"servers":"127.0.0.1"}`, "servers", "wrong type: got a JSON string, want a list"},
		{`{"servers":["127.0.0.1"],"families":[]}`, "families", `must list at least one of "ipv4", "ipv6"`},
		{`{"servers":["127.0.0.1"],"families":["ipv4","ipx"]}`, "families[1]", `unknown family "ipx" (want "ipv4" or "ipv6")`},
		{`{"servers":["127.0.0.1"],"families":["ipv6","ipv6"]}`, "families[1]", `"ipv6" is listed twice`},
		{`{"servers":["127.0.0.1"],"prefer":"ipv5"}`, "prefer", `unknown family "ipv5" (want "ipv4" or "ipv6")`},
		{`{"servers":["127.0.0.1"],"edns0_size":100}`, "edns0_size", "must be 0 (off) or a whole number between 512 and 65535, got 100"},
		{`{"servers":["127.0.0.1"],"ndots":16}`, "ndots", "must be between 0 and 15, got 16"},
		{`{"servers":["127.0.0.1"],"search":["probe.test","bad..name"]}`, "search[1]", `"bad..name" is not a domain name`},
		{`{"servers":["127.0.0.1"],"hosts_file":"` + missing + `"}`, "hosts_file", "open " + missing + ": no such file or directory"},
		{`{"servers":["127.0.0.1"],"hosts_file":"` + badHosts + `"}`, "hosts_file", badHosts + `: line 2: "300.1.1.1" is not an IP address`},
		{`{"servers":["127.0.0.1"],"tls_server_name":"dns.probe.test"}`, "tls_server_name", `only used with transport "dot" or "doh", not "udp"`},
		{`{"servers":["127.0.0.1"],"transport":"tcp","ca_file":"` + caFile + `"}`, "ca_file", `only used with transport "dot" or "doh", not "tcp"`},
		{`{"servers":["127.0.0.1"],"transport":"dot","ca_file":"` + notPEM + `"}`, "ca_file", "no PEM certificate found in " + notPEM},
		{`{"servers":["127.0.0.1"],"transport":"dot","tls_server_name":""}`, "tls_server_name", "must not be empty"},
		{`{"servers":["127.0.0.1"],"transport":"dot","bootstrap":["127.0.0.1"]}`, "bootstrap", `only used with transport "doh", not "dot"`},
		{`{"servers":["https://doh.probe.test/dns-query"],"transport":"doh","bootstrap":["doh.host"]}`, "bootstrap[0]", `"doh.host" is not an IP address`},
	} {
		problems := h.Configure(t, tc.config)
		if len(problems) != 1 || problems[0].Attribute != tc.attribute || problems[0].Err.Error() != tc.message {
			t.Errorf("%s:\n got %v\nwant [%s: %s]", tc.config, problems, tc.attribute, tc.message)
		}
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	h := sdktest.New(t, testPhase(t))
	problems := h.Configure(t, `{"servers":["127.0.0.1", "nope"],"timeout":"1","prefer":"v6"}`)
	got := fmt.Sprint(problems)
	want := `[timeout: invalid duration "1" (write e.g. "500ms" or "2s") prefer: unknown family "v6" (want "ipv4" or "ipv6") servers[1]: "nope" is not an IP address or IP:port]`
	if got != want {
		t.Errorf("problems = %s\nwant       %s", got, want)
	}
}

func TestConfigAccepts(t *testing.T) {
	_, caFile := testCert(t)
	h := sdktest.New(t, testPhase(t))
	for _, config := range []string{
		`{"servers":["127.0.0.1","::1","[::1]","[::1]:5353","192.0.2.1:53"]}`,
		`{"servers":["127.0.0.1"],"transport":"tcp","timeout":"150ms","attempts":3,"families":["ipv6"],"prefer":"ipv4","edns0_size":0,"search":["probe.test."],"ndots":2,"cache":true}`,
		`{"servers":["127.0.0.1"],"transport":"dot","tls_server_name":"dns.probe.test","ca_file":"` + caFile + `"}`,
		`{"servers":["https://doh.probe.test/dns-query"],"transport":"doh","bootstrap":["127.0.0.1","::1"]}`,
		`{"servers":["127.0.0.1"],"transport":null,"timeout":null,"families":null}`,
	} {
		if problems := h.Configure(t, config); len(problems) != 0 {
			t.Errorf("%s: rejected: %v", config, problems)
		}
	}
}

func TestParseServerDefaultPorts(t *testing.T) {
	for _, tc := range []struct{ server, transport, want string }{
		{"127.0.0.1", "udp", "127.0.0.1:53"},
		{"::1", "tcp", "[::1]:53"},
		{"[::1]", "udp", "[::1]:53"},
		{"127.0.0.1", "dot", "127.0.0.1:853"},
		{"[::1]:8853", "dot", "[::1]:8853"},
		{"https://doh.probe.test/dns-query", "doh", "https://doh.probe.test/dns-query"},
	} {
		if got, err := parseServer(tc.server, tc.transport); err != nil || got != tc.want {
			t.Errorf("parseServer(%q, %s) = %q, %v; want %q", tc.server, tc.transport, got, err, tc.want)
		}
	}
}
