//go:build linux

package cli

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/targets"
	"github.com/probe-net/probe/internal/safetext"
	"github.com/probe-net/probe/plugins/registry"
)

// maxTestTimeout bounds --timeout: a probe that needs longer is not one.
const maxTestTimeout = time.Hour

// testFlags are the flags of probe test: the run and the plugin settings
// that a targets file would otherwise give.
type testFlags struct {
	timeout      string
	count        int
	format       *formatFlag
	dnsServers   []string
	dnsTransport string
	dnsCAFile    string
	dnsTLSName   string
	dnsBootstrap []string
	caFile       string
	insecure     bool
	sni          string
	path         string
}

func newTestCmd(g *globals) *cobra.Command {
	var f testFlags
	cmd := &cobra.Command{
		Use:   "test HOST PORT PROTO",
		Short: "Probe one target once and show every phase in detail, with a waterfall",
		Long: `Probe one target, without a targets file, and show what each phase found —
the addresses, the connection, the TLS version and certificate, the HTTP
status — then a waterfall of the phase times with curl-style cumulative marks:

  namelookup     dns done (0 when HOST is an IP address and dns is skipped)
  connect        tcp connected
  appconnect     tls handshake done (tls and https only)
  starttransfer  first response byte: the start of http plus http.ttfb
  total          the sum of the phase times

PROTO is tcp, tls, http or https; PORT is 1 to 65535; an IPv6 HOST may be
bare (::1) or in brackets ([::1]). --timeout is the budget for the whole
probe, in milliseconds (--timeout=2000) or as a Go duration (--timeout=2s).

Without --dns-server the resolver comes from /etc/resolv.conf (and
/etc/hosts comes first, as for the system resolver). For DNS over TLS or
HTTPS, --dns-ca-file names the CA that signed the resolver's certificate and
--dns-tls-name the name it is checked against; a DoH URL with a host name
needs that name resolved first: --dns-bootstrap gives its addresses, and
without it the system resolver looks it up (the DNS details say so).
--insecure skips certificate verification, and the output says so.

Exit status: 0 when the probe succeeded, 1 when it failed (the output names
the phase and the cause), 2 for bad arguments or flags.`,
		Example: `  probe test example.com 443 https
  probe test 127.0.0.1 8080 http --timeout=500
  probe test db.internal 5432 tcp
  probe test ::1 8443 tls --sni www.example.test --ca-file ca.pem
  probe test www.example.test 443 https --dns-server 192.0.2.53 --dns-transport tcp
  probe test www.example.test 443 https --dns-transport doh \
      --dns-server https://dns.example/dns-query --dns-bootstrap 192.0.2.10 --dns-ca-file dns-ca.pem
  probe test example.com 443 https --count 10 --format json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 3 {
				return exit(ExitUsage, "test needs HOST PORT PROTO, got %d argument(s) %q; e.g. probe test example.com 443 https", len(args), args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseTestTarget(args)
			if err != nil {
				return exit(ExitUsage, "%v", err)
			}
			if err := f.check(t.Protocol); err != nil {
				return exit(ExitUsage, "%v", err)
			}
			if t.Timeout, err = parseTimeout(f.timeout); err != nil {
				return exit(ExitUsage, "%v", err)
			}
			return runTest(g, t, f)
		},
	}
	f.register(cmd)
	cmd.SetFlagErrorFunc(negativePort)
	cmd.ValidArgsFunction = completeTestArgs
	return cmd
}

func (f *testFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.timeout, "timeout", "5000", "budget for the whole probe: milliseconds (2000) or a Go duration (2s)")
	f.count = 1
	fl.Var((*countValue)(&f.count), "count", "probes to run; above 1, per-phase statistics follow the details of the last")
	f.format = addFormatFlag(cmd, output.ProbeReport{})
	_ = cmd.RegisterFlagCompletionFunc("dns-transport", cobra.FixedCompletions([]string{"udp", "tcp", "dot", "doh"}, cobra.ShellCompDirectiveNoFileComp))
	fl.StringArrayVar(&f.dnsServers, "dns-server", nil, "resolver to ask, ip[:port] (repeatable; a https URL for --dns-transport doh)")
	fl.StringVar(&f.dnsTransport, "dns-transport", "", "how to ask the resolver: udp, tcp, dot or doh (default udp)")
	fl.StringVar(&f.dnsCAFile, "dns-ca-file", "", "PEM file of the CA certificates to trust for the dot/doh resolver (default: the system roots)")
	fl.StringVar(&f.dnsTLSName, "dns-tls-name", "", "name the dot/doh resolver's certificate is checked against (default: the server's host)")
	fl.StringArrayVar(&f.dnsBootstrap, "dns-bootstrap", nil, "IP address to dial for a doh resolver named by host name, instead of the system resolver (repeatable)")
	fl.StringVar(&f.caFile, "ca-file", "", "PEM file of the CA certificates to trust instead of the system roots (tls, https)")
	fl.BoolVar(&f.insecure, "insecure", false, "do not verify the server's certificate (tls, https); reported loudly")
	fl.StringVar(&f.sni, "sni", "", "server name to send and verify the certificate against (tls, https; default HOST)")
	fl.StringVar(&f.path, "path", "", "request path for the HEAD (http, https; default /)")
}

// check validates the flags that do not depend on a plugin.
func (f *testFlags) check(proto string) error {
	switch {
	case f.count < 1:
		return fmt.Errorf("--count must be at least 1, not %d", f.count)
	case f.dnsTransport != "" && !slices.Contains([]string{"udp", "tcp", "dot", "doh"}, f.dnsTransport):
		return fmt.Errorf("--dns-transport must be udp, tcp, dot or doh, not %s", safetext.Quote(f.dnsTransport))
	}
	if err := f.checkApplies(proto); err != nil {
		return err
	}
	if f.path != "" && !strings.HasPrefix(f.path, "/") {
		return fmt.Errorf("--path %s must start with /", safetext.Quote(f.path))
	}
	if err := f.checkDNSServers(); err != nil {
		return err
	}
	if err := f.checkSecureDNS(); err != nil {
		return err
	}
	var err error
	if f.dnsCAFile, err = absFile("--dns-ca-file", f.dnsCAFile); err != nil {
		return err
	}
	f.caFile, err = absFile("--ca-file", f.caFile)
	return err
}

// checkSecureDNS checks the flags that only DNS over TLS or HTTPS use.
func (f *testFlags) checkSecureDNS() error {
	secure := f.dnsTransport == "dot" || f.dnsTransport == "doh"
	switch {
	case f.dnsCAFile != "" && !secure:
		return fmt.Errorf("--dns-ca-file applies to --dns-transport dot or doh")
	case f.dnsTLSName != "" && !secure:
		return fmt.Errorf("--dns-tls-name applies to --dns-transport dot or doh")
	case len(f.dnsBootstrap) > 0 && f.dnsTransport != "doh":
		return fmt.Errorf("--dns-bootstrap applies to --dns-transport doh")
	}
	for _, b := range f.dnsBootstrap {
		if _, err := netip.ParseAddr(b); err != nil {
			return fmt.Errorf("--dns-bootstrap %q: want an IP address, e.g. 192.0.2.10", b)
		}
	}
	return nil
}

// checkApplies rejects a flag whose phase is not in proto's chain, such as
// --sni for tcp (plugins/registry says which phase a flag configures).
func (f *testFlags) checkApplies(proto string) error {
	chain := registry.Chain(proto)
	values := f.pluginValues()
	for _, fl := range registry.TestFlags() {
		phase, _, _ := registry.TestFlag(fl.Name)
		if _, set := values[fl.Name]; set && !slices.Contains(chain, phase) {
			return fmt.Errorf("--%s applies to %s, not %s", fl.Name, strings.Join(registry.ProtocolsWith(phase), " and "), proto)
		}
	}
	return nil
}

// checkDNSServers catches the likeliest slip, a resolver given by name, and
// names the flag; the dns plugin checks the rest.
func (f *testFlags) checkDNSServers() error {
	for _, s := range f.dnsServers {
		if f.dnsTransport == "doh" {
			if !strings.HasPrefix(s, "https://") {
				return fmt.Errorf("--dns-server %s: with --dns-transport doh, want an https URL, e.g. https://dns.example/dns-query", safetext.Quote(s))
			}
			continue
		}
		if !isAddrOrAddrPort(s) {
			return fmt.Errorf("--dns-server %s: want an IP address or IP:port, e.g. 192.0.2.53 or 127.0.0.1:5353", safetext.Quote(s))
		}
	}
	return nil
}

func isAddrOrAddrPort(s string) bool {
	bare := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	_, errAddr := netip.ParseAddr(bare)
	_, errAddrPort := netip.ParseAddrPort(s)
	return errAddr == nil || errAddrPort == nil
}

// absFile makes a file flag's value absolute, so the plugin reads the same
// file, and checks that it is a readable file; "" stays "".
func absFile(flag, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s %s: %v", flag, safetext.Quote(path), err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%s: %v", flag, err)
	}
	if st.IsDir() {
		return "", fmt.Errorf("%s %s is a directory, not a PEM file", flag, safetext.Quote(path))
	}
	return abs, nil
}

// pluginValues are the values of the plugin config flags that were set,
// by flag name; which attribute each sets is in plugins/registry.
func (f *testFlags) pluginValues() map[string]any {
	v := map[string]any{}
	setIf := func(flag string, value any, set bool) {
		if set {
			v[flag] = value
		}
	}
	setIf("dns-server", f.dnsServers, len(f.dnsServers) > 0)
	setIf("dns-transport", f.dnsTransport, f.dnsTransport != "")
	setIf("dns-ca-file", f.dnsCAFile, f.dnsCAFile != "")
	setIf("dns-tls-name", f.dnsTLSName, f.dnsTLSName != "")
	setIf("dns-bootstrap", f.dnsBootstrap, len(f.dnsBootstrap) > 0)
	setIf("ca-file", f.caFile, f.caFile != "")
	setIf("insecure", true, f.insecure)
	setIf("sni", f.sni, f.sni != "")
	setIf("path", f.path, f.path != "")
	return v
}

// defaults are the plugin config the flags set (the defaults of config.File.ConfigurePlugins):
// phase → attribute → value.
func (f *testFlags) defaults() map[string]map[string]any {
	d := map[string]map[string]any{}
	for flag, value := range f.pluginValues() {
		phase, fl, _ := registry.TestFlag(flag)
		if d[phase] == nil {
			d[phase] = map[string]any{}
		}
		d[phase][fl.Attribute] = value
	}
	return d
}

// parseTestTarget reads HOST PORT PROTO into a target named HOST:PORT.
func parseTestTarget(args []string) (config.Target, error) {
	host, err := parseTestHost(args[0])
	if err != nil {
		return config.Target{}, err
	}
	port, err := targets.ParsePort(args[1])
	if err != nil {
		return config.Target{}, portError(args[1])
	}
	proto := args[2]
	if problem := config.ProtocolProblem(proto); problem != "" {
		return config.Target{}, fmt.Errorf("PROTO %s", problem)
	}
	wire, err := config.WireHost(host)
	if err != nil {
		return config.Target{}, fmt.Errorf("HOST: %v", err)
	}
	return config.Target{
		Name: net.JoinHostPort(host, strconv.Itoa(port)), Host: wire, Port: port, Protocol: proto,
		Phases: registry.Chain(proto),
	}, nil
}

// portError is the message for a PORT argument that is not a port.
func portError(arg string) error {
	return fmt.Errorf("PORT %s: want a number from 1 to 65535 (usage: probe test HOST PORT PROTO)", safetext.Quote(arg))
}

// negativePort turns pflag's reading of a negative PORT ("-1" taken for
// the shorthand flag -1) into the message about the port it is.
func negativePort(_ *cobra.Command, err error) error {
	const prefix = "unknown shorthand flag: "
	msg := err.Error()
	if _, arg, ok := strings.Cut(msg, " in "); ok && strings.HasPrefix(msg, prefix) && len(arg) > 1 {
		if _, aerr := strconv.Atoi(arg); aerr == nil {
			return exit(ExitUsage, "%v", portError(arg))
		}
	}
	return err
}

// parseTestHost accepts a name or an IP address; IPv6 bare or in brackets.
func parseTestHost(s string) (string, error) {
	if inner, ok := strings.CutPrefix(s, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		if a, err := netip.ParseAddr(inner); !ok || err != nil || !a.Is6() {
			return "", fmt.Errorf("HOST %s: brackets are only for an IPv6 address, e.g. [::1]", safetext.Quote(s))
		}
		return inner, nil
	}
	switch {
	case s == "":
		return "", fmt.Errorf("HOST must not be empty")
	case strings.ContainsAny(s, " \t/?#@"):
		return "", fmt.Errorf("HOST %s: want a host name or an IP address, not a URL", safetext.Quote(s))
	case strings.Contains(s, ":"):
		if _, err := netip.ParseAddr(s); err != nil {
			return "", fmt.Errorf("HOST %s: not a host name or IP address (the port is an argument of its own: probe test HOST PORT PROTO)", safetext.Quote(s))
		}
	}
	return s, nil
}

// parseTimeout reads --timeout: a number is milliseconds, anything else a
// Go duration.
func parseTimeout(s string) (time.Duration, error) {
	d, err := millisOrDuration(s)
	switch {
	case errors.Is(err, errTooManyMillis):
		return 0, fmt.Errorf("--timeout %s: want milliseconds up to %d (or a duration such as 2s)", safetext.Quote(s), maxTestTimeout/time.Millisecond)
	case err != nil:
		return 0, fmt.Errorf("--timeout %s: want milliseconds (2000) or a Go duration (2s)", safetext.Quote(s))
	case d <= 0:
		return 0, fmt.Errorf("--timeout %s: must be greater than zero, e.g. --timeout=2000 or --timeout=2s", safetext.Quote(s))
	case d > maxTestTimeout:
		return 0, fmt.Errorf("--timeout %s: at most %s", safetext.Quote(s), maxTestTimeout)
	}
	return d, nil
}

// runTest probes t --count times and prints the last probe in detail.
func runTest(g *globals, t config.Target, f testFlags) error {
	file := &config.File{Run: config.Run{Count: f.count, Concurrency: 1}, Targets: []config.Target{t}}
	res, err := g.execute(&source{file: file, loader: config.NewLoader()}, execOptions{defaults: f.defaults(), format: f.format})
	if err != nil {
		return err
	}
	if res.last == nil {
		return exit(ExitInterrupted, "interrupted before the probe finished")
	}
	r := output.ProbeReport{Target: res.targets[0], Sample: *res.last, Probes: res.probes}
	if f.count > 1 {
		r.Stats = &res.stats[0]
	}
	return res.finish(g, r, f.format)
}
