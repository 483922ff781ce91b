package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/probe-net/probe/sdk"
)

// Address families, as the families attribute spells them.
const (
	familyIPv4 = "ipv4"
	familyIPv6 = "ipv6"
)

// config is the config as it arrives: JSON, with the attribute names as
// keys. Absent or null attributes decode to nil, which is how defaults are
// told apart from values that were set.
type config struct {
	Hosts     map[string][]string `json:"hosts"`
	HostsFile *string             `json:"hosts_file"`
	Families  []string            `json:"families"`
}

// table is a validated config, ready for lookups. It is never modified
// after Configure builds it.
type table struct {
	names    map[string][]netip.Addr // key: canonicalName
	families []string                // wanted, in config order
	instance string                  // the plugin block's label (sdk.Config.InstanceName)
}

// canonicalName is how names are compared: case-insensitive, with or
// without the trailing dot of a fully qualified name, an internationalised
// name by its A-label (probe hands plugins A-labels; sdk.ASCIIHost).
func canonicalName(name string) string {
	if ascii, err := sdk.ASCIIHost(name); err == nil {
		name = ascii
	}
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// table validates c and builds the lookup table. It checks every attribute
// and returns all problems at once, joined.
func (c config) table() (*table, error) {
	t := &table{names: map[string][]netip.Addr{}}
	var errs []error
	if len(c.Hosts) == 0 && c.HostsFile == nil {
		errs = append(errs, sdk.AttributeErrorf("hosts", "at least one of hosts and hosts_file is required"))
	}
	if c.HostsFile != nil {
		errs = append(errs, t.addHostsFile(*c.HostsFile))
	}
	errs = append(errs, t.addHosts(c.Hosts)) // after the file: hosts wins
	families, err := parseFamilies(c.Families)
	t.families = families
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// addHosts adds the hosts attribute, replacing any addresses the hosts file
// gave the same name. Names are visited in sorted order so that errors come
// out in the same order every time.
func (t *table) addHosts(hosts map[string][]string) error {
	names := make([]string, 0, len(hosts))
	for name := range hosts {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	seen := map[string]string{} // canonical name -> name as written
	for _, name := range names {
		where := fmt.Sprintf("hosts[%q]", name)
		key := canonicalName(name)
		switch first, dup := seen[key]; {
		case key == "":
			errs = append(errs, sdk.AttributeErrorf(where, "host name is empty"))
			continue
		case dup:
			errs = append(errs, sdk.AttributeErrorf(where, "is the same name as %q", first))
			continue
		case len(hosts[name]) == 0:
			errs = append(errs, sdk.AttributeErrorf(where, "has no addresses"))
			continue
		}
		seen[key] = name
		addrs, err := parseAddrs(where, hosts[name])
		errs = append(errs, err)
		t.names[key] = addrs
	}
	return errors.Join(errs...)
}

// parseAddrs parses a list of IP addresses, naming each bad element by its
// index: hosts["www.probe.test"][1].
func parseAddrs(where string, list []string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	var errs []error
	for i, s := range list {
		addr, err := netip.ParseAddr(s)
		if err != nil {
			errs = append(errs, sdk.AttributeErrorf(fmt.Sprintf("%s[%d]", where, i), "%q is not an IP address", s))
			continue
		}
		addrs = appendNew(addrs, addr.Unmap()) // ::ffff:127.0.0.1 is IPv4
	}
	return addrs, errors.Join(errs...)
}

// addHostsFile reads a file in /etc/hosts format: "address name
// [alias...]" per line, '#' starts a comment. Names listed on several lines
// collect all their addresses, in file order.
func (t *table) addHostsFile(path string) error {
	if path == "" {
		return sdk.AttributeErrorf("hosts_file", "is empty; give the path of a file in /etc/hosts format")
	}
	f, err := os.Open(path)
	if err != nil {
		return sdk.AttributeErrorf("hosts_file", "%w", err)
	}
	defer f.Close()
	if err := t.parseHostsFile(path, f); err != nil {
		return sdk.AttributeErrorf("hosts_file", "%w", err)
	}
	return nil
}

// parseHostsFile adds each line's names. A bad address is an error, not a
// line to skip: a typo should not silently make a name unknown. Errors name
// the place as path:line.
func (t *table) parseHostsFile(path string, r io.Reader) error {
	scanner := bufio.NewScanner(r)
	for line := 1; scanner.Scan(); line++ {
		text, _, _ := strings.Cut(scanner.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		addr, err := netip.ParseAddr(fields[0])
		if err != nil {
			return fmt.Errorf("%s:%d: %q is not an IP address", path, line, fields[0])
		}
		if len(fields) == 1 {
			return fmt.Errorf("%s:%d: address %s has no host name", path, line, fields[0])
		}
		for _, name := range fields[1:] {
			key := canonicalName(name)
			t.names[key] = appendNew(t.names[key], addr.Unmap())
		}
	}
	if err := scanner.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// parseFamilies validates the families attribute; absent means both.
func parseFamilies(list []string) ([]string, error) {
	if list == nil {
		return []string{familyIPv4, familyIPv6}, nil
	}
	if len(list) == 0 {
		return nil, sdk.AttributeErrorf("families", `is empty; name "ipv4", "ipv6" or both`)
	}
	var families []string
	var errs []error
	for i, f := range list {
		if f != familyIPv4 && f != familyIPv6 {
			errs = append(errs, sdk.AttributeErrorf(fmt.Sprintf("families[%d]", i), `%q is not a family; use "ipv4" or "ipv6"`, f))
			continue
		}
		families = appendNew(families, f)
	}
	return families, errors.Join(errs...)
}

// lookup returns host's addresses of the wanted families, in configured
// order, and whether host is in the table at all.
func (t *table) lookup(host string) ([]netip.Addr, bool) {
	all, known := t.names[canonicalName(host)]
	var out []netip.Addr
	for _, addr := range all {
		if slices.Contains(t.families, family(addr)) {
			out = append(out, addr)
		}
	}
	return out, known
}

func family(addr netip.Addr) string {
	if addr.Is4() {
		return familyIPv4
	}
	return familyIPv6
}

// appendNew appends v unless list already holds it.
func appendNew[T comparable](list []T, v T) []T {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
