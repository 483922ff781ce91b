//go:build linux

package cli

import (
	"reflect"
	"sort"
	"testing"

	"github.com/probe-net/probe/plugins/registry"
)

// Every plugin config flag of probe test is in plugins/registry, and every
// flag there is one probe test has: a built-in's flag missing from either
// side fails here.
func TestTestFlagsMatchRegistry(t *testing.T) {
	cmd := newTestCmd(&globals{})
	all := testFlags{dnsServers: []string{"127.0.0.1"}, dnsTransport: "tcp", caFile: "/ca.pem",
		dnsCAFile: "/dns-ca.pem", dnsTLSName: "dns.probe.test", dnsBootstrap: []string{"127.0.0.1"},
		insecure: true, sni: "www.probe.test", path: "/health"}
	values := all.pluginValues()
	for _, fl := range registry.TestFlags() {
		if cmd.Flags().Lookup(fl.Name) == nil {
			t.Errorf("registry flag --%s is not a flag of probe test", fl.Name)
		}
		if _, ok := values[fl.Name]; !ok {
			t.Errorf("registry flag --%s is not read by testFlags.pluginValues", fl.Name)
		}
	}
	for name := range values {
		if _, _, ok := registry.TestFlag(name); !ok {
			t.Errorf("flag --%s sets plugin config but is not in plugins/registry", name)
		}
	}
	want := map[string]map[string]any{
		"dns": {"servers": []string{"127.0.0.1"}, "transport": "tcp",
			"ca_file": "/dns-ca.pem", "tls_server_name": "dns.probe.test", "bootstrap": []string{"127.0.0.1"}},
		"tls":  {"ca_file": "/ca.pem", "insecure_skip_verify": true, "server_name": "www.probe.test"},
		"http": {"path": "/health"},
	}
	if got := all.defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults() = %v, want %v", got, want)
	}
}

// Every warm setting has a name in warmup's summary.
func TestWarmFeaturesNamed(t *testing.T) {
	got := features(registry.WarmDefaults(true))
	want := []string{"dns cache", "http keep-alive (connection reuse)", "tls session resumption"}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("features = %q, want %q", got, want)
	}
}
