//go:build linux

package main

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

// The tests drive the phase through sdktest, which runs it behind the real
// plugin RPC layer (gRPC over a unix socket) inside the test process: what
// they see is what probe sees.

// configured returns a harness whose phase accepted configJSON.
func configured(t *testing.T, configJSON string) *sdktest.Harness {
	t.Helper()
	h := sdktest.New(t, New())
	if problems := h.Configure(t, configJSON); problems != nil {
		t.Fatalf("Configure(%s) rejected: %v", configJSON, problems)
	}
	return h
}

// resolve runs the phase for host with a bounded context.
func resolve(t *testing.T, h *sdktest.Harness, host string) (*sdk.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.Run(ctx, &sdk.Request{Target: sdk.Target{Name: "t", Host: host, Port: 443, Protocol: "https"}})
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestDescribe(t *testing.T) {
	d := sdktest.New(t, New()).Describe(t)
	if d.Name != "statichosts" || d.Version != "0.1.0" || d.Summary == "" {
		t.Errorf("Describe = %+v", d)
	}
	var got []string
	for _, a := range d.Schema {
		got = append(got, a.Name+" "+a.Type.String())
	}
	want := []string{"hosts map(list(string))", "hosts_file string", "families list(string)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config schema = %v, want %v", got, want)
	}
}

func TestLookupReturnsAddressesInConfiguredOrder(t *testing.T) {
	h := configured(t, `{"hosts": {"www.probe.test": ["::1", "127.0.0.1"], "secure.probe.test": ["127.0.0.1"]}}`)
	for _, host := range []string{"www.probe.test", "WWW.Probe.Test", "www.probe.test."} {
		res, err := resolve(t, h, host)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if !reflect.DeepEqual(res.Addresses, addrs("::1", "127.0.0.1")) {
			t.Errorf("%s: addresses %v", host, res.Addresses)
		}
		if res.Duration <= 0 {
			t.Errorf("%s: duration %v, want > 0", host, res.Duration)
		}
		want := sdk.Attributes{"dns.server": "static", "dns.answers": []string{"::1", "127.0.0.1"}}
		if !reflect.DeepEqual(res.Attributes, want) {
			t.Errorf("%s: attributes %v, want %v", host, res.Attributes, want)
		}
	}
}

// An instance configured under its own block label reports its attributes
// under that label; one filling the "dns" slot keeps probe's dns.* names.
func TestInstanceNameLabelsAttributes(t *testing.T) {
	const hosts = `{"hosts": {"www.probe.test": ["127.0.0.1"]}}`
	for instance, want := range map[string]sdk.Attributes{
		"dns":    {"dns.server": "static", "dns.answers": []string{"127.0.0.1"}},
		"pinned": {"pinned.server": "static", "pinned.answers": []string{"127.0.0.1"}},
	} {
		h := sdktest.New(t, New())
		if problems := h.ConfigureInstance(t, instance, hosts); problems != nil {
			t.Fatal(problems)
		}
		res, err := resolve(t, h, "www.probe.test")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Attributes, want) {
			t.Errorf("instance %q: attributes %v, want %v", instance, res.Attributes, want)
		}
	}
}

func TestUnknownNameIsNXDomain(t *testing.T) {
	h := configured(t, `{"hosts": {"www.probe.test": ["127.0.0.1"]}}`)
	res, err := resolve(t, h, "missing.probe.test")
	if sdktest.Kind(err) != sdk.KindNXDomain || err.Error() != "missing.probe.test is not in the static hosts map" {
		t.Fatalf("err = %v (kind %q)", err, sdktest.Kind(err))
	}
	// The partial result still reports where the answer came from.
	if res == nil || res.Attributes["dns.server"] != "static" || len(res.Addresses) != 0 {
		t.Errorf("partial result = %+v", res)
	}
}

func TestFamiliesFilter(t *testing.T) {
	hosts := `"hosts": {"www.probe.test": ["127.0.0.1", "::1", "::ffff:127.0.0.2"], "v4.probe.test": ["127.0.0.1"]}`
	tests := []struct {
		families string
		host     string
		want     []netip.Addr
		kind     sdk.ErrorKind
		message  string
	}{
		{`null`, "www.probe.test", addrs("127.0.0.1", "::1", "127.0.0.2"), "", ""},
		{`["ipv4"]`, "www.probe.test", addrs("127.0.0.1", "127.0.0.2"), "", ""},
		{`["ipv6"]`, "www.probe.test", addrs("::1"), "", ""},
		{`["ipv6", "ipv4"]`, "www.probe.test", addrs("127.0.0.1", "::1", "127.0.0.2"), "", ""},
		{`["ipv6"]`, "v4.probe.test", nil, sdk.KindNoAddress, "v4.probe.test has no ipv6 address in the static hosts map"},
	}
	for _, tt := range tests {
		h := configured(t, `{`+hosts+`, "families": `+tt.families+`}`)
		res, err := resolve(t, h, tt.host)
		if sdktest.Kind(err) != tt.kind || (err != nil && err.Error() != tt.message) {
			t.Errorf("families %s, %s: err = %v (kind %q), want %q", tt.families, tt.host, err, sdktest.Kind(err), tt.message)
			continue
		}
		if tt.kind == "" && !reflect.DeepEqual(res.Addresses, tt.want) {
			t.Errorf("families %s, %s: addresses %v, want %v", tt.families, tt.host, res.Addresses, tt.want)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHostsFile(t *testing.T) {
	path := writeFile(t, `# testbed names
127.0.0.1   www.probe.test  WEB.probe.test.   # aliases share the address
::1         www.probe.test
127.0.0.1   www.probe.test                    # repeated: listed once

10.0.0.1    secure.probe.test
`)
	// hosts overrides the file for the names it lists.
	h := configured(t, `{"hosts_file": "`+path+`", "hosts": {"secure.probe.test": ["127.0.0.1"]}}`)
	for host, want := range map[string][]netip.Addr{
		"www.probe.test":    addrs("127.0.0.1", "::1"),
		"web.probe.test":    addrs("127.0.0.1"),
		"secure.probe.test": addrs("127.0.0.1"),
	} {
		res, err := resolve(t, h, host)
		if err != nil || !reflect.DeepEqual(res.Addresses, want) {
			t.Errorf("%s: %v, %v; want %v", host, res.Addresses, err, want)
		}
	}
}

// TestBadConfig checks that every problem is reported, each naming its
// attribute (down to the element) with a message that says what is wrong.
func TestBadConfig(t *testing.T) {
	badFile := writeFile(t, "127.0.0.1 www.probe.test\n\n300.0.0.1 secure.probe.test\n")
	lonelyFile := writeFile(t, "127.0.0.1\n")
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		config string
		want   []string // "attribute: message"
	}{
		{`{}`, []string{"hosts: at least one of hosts and hosts_file is required"}},
		{`{"hosts": {}}`, []string{"hosts: at least one of hosts and hosts_file is required"}},
		{`{"hosts": {"www.probe.test": ["127.0.0.1", "localhost", "::1", "1.2.3"]}}`, []string{
			`hosts["www.probe.test"][1]: "localhost" is not an IP address`,
			`hosts["www.probe.test"][3]: "1.2.3" is not an IP address`,
		}},
		{`{"hosts": {"": ["127.0.0.1"], ".": ["127.0.0.1"], "a.test": []}}`, []string{
			`hosts[""]: host name is empty`,
			`hosts["."]: host name is empty`,
			`hosts["a.test"]: has no addresses`,
		}},
		{`{"hosts": {"WWW.probe.test": ["127.0.0.1"], "www.probe.test.": ["::1"]}}`, []string{
			`hosts["www.probe.test."]: is the same name as "WWW.probe.test"`,
		}},
		{`{"hosts_file": ""}`, []string{"hosts_file: is empty; give the path of a file in /etc/hosts format"}},
		{`{"hosts_file": "` + missing + `"}`, []string{"hosts_file: open " + missing + ": no such file or directory"}},
		{`{"hosts_file": "` + badFile + `"}`, []string{"hosts_file: " + badFile + `:3: "300.0.0.1" is not an IP address`}},
		{`{"hosts_file": "` + lonelyFile + `"}`, []string{"hosts_file: " + lonelyFile + ":1: address 127.0.0.1 has no host name"}},
		{`{"hosts": {"a.test": ["127.0.0.1"]}, "families": []}`, []string{`families: is empty; name "ipv4", "ipv6" or both`}},
		{`{"hosts": {"a.test": ["127.0.0.1"]}, "families": ["ipv4", "IPv6", "inet"]}`, []string{
			`families[1]: "IPv6" is not a family; use "ipv4" or "ipv6"`,
			`families[2]: "inet" is not a family; use "ipv4" or "ipv6"`,
		}},
		{`{"hosts": {"a.test": ["x"]}, "families": ["x"]}`, []string{
			`hosts["a.test"][0]: "x" is not an IP address`,
			`families[0]: "x" is not a family; use "ipv4" or "ipv6"`,
		}},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range sdktest.New(t, New()).Configure(t, tt.config) {
			got = append(got, p.Attribute+": "+p.Err.Error())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Configure(%s):\n got %q\nwant %q", tt.config, got, tt.want)
		}
	}
}

func TestReconfigureReplacesTheTable(t *testing.T) {
	h := configured(t, `{"hosts": {"old.probe.test": ["127.0.0.1"]}}`)
	if problems := h.Configure(t, `{"hosts": {"new.probe.test": ["127.0.0.1"]}}`); problems != nil {
		t.Fatal(problems)
	}
	if _, err := resolve(t, h, "old.probe.test"); sdktest.Kind(err) != sdk.KindNXDomain {
		t.Errorf("old name after reconfigure: %v", err)
	}
	// A rejected config leaves the previous table in place.
	if problems := h.Configure(t, `{}`); problems == nil {
		t.Fatal("empty config accepted")
	}
	if _, err := resolve(t, h, "new.probe.test"); err != nil {
		t.Errorf("new name after a rejected reconfigure: %v", err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	h := configured(t, `{"hosts": {"www.probe.test": ["127.0.0.1"]}}`)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := resolve(t, h, "www.probe.test"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRunHonoursTheContext calls Run directly: a canceled context stops the
// RPC layer before it reaches the phase, so only a direct call shows what the
// phase itself does.
func TestRunHonoursTheContext(t *testing.T) {
	p := New()
	if err := p.Configure(sdk.NewConfig([]byte(`{"hosts": {"www.probe.test": ["127.0.0.1"]}}`))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := p.Run(ctx, &sdk.Request{Target: sdk.Target{Host: "www.probe.test"}})
	if sdk.Classify(err) != sdk.KindCanceled || !strings.HasPrefix(err.Error(), "lookup of www.probe.test not started") {
		t.Errorf("err = %v (kind %q)", err, sdk.Classify(err))
	}
	_, err = New().Run(context.Background(), &sdk.Request{Target: sdk.Target{Host: "www.probe.test"}})
	if sdk.Classify(err) != sdk.KindInput {
		t.Errorf("unconfigured: err = %v (kind %q)", err, sdk.Classify(err))
	}
}
