package dnsphase

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// hostsTable maps a lower-case name without trailing dot to its addresses,
// in file order.
type hostsTable map[string][]netip.Addr

// loadHosts reads a file in /etc/hosts format. It is read once, when the
// phase is configured.
func loadHosts(path string) (hostsTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	table, err := parseHosts(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return table, nil
}

// systemHosts reads the system's hosts file as the system resolver does
// (glibc's nss_files): a missing or unreadable file is an empty one, and a
// line that does not parse is skipped.
func systemHosts(path string) hostsTable {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	table, _ := readHosts(f, false)
	return table
}

// parseHosts parses "address name [alias...]" lines; '#' starts a comment.
// A line whose address does not parse is an error rather than skipped: a
// typo in a pinned address should not fall through to DNS unnoticed.
func parseHosts(r io.Reader) (hostsTable, error) {
	return readHosts(r, true)
}

// readHosts parses hosts lines; strict makes a bad line an error, else it
// is skipped.
func readHosts(r io.Reader, strict bool) (hostsTable, error) {
	table := hostsTable{}
	scanner := bufio.NewScanner(r)
	for line := 1; scanner.Scan(); line++ {
		text, _, _ := strings.Cut(scanner.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		addr, err := netip.ParseAddr(fields[0])
		switch {
		case err == nil && len(fields) > 1:
		case !strict:
			continue
		case err != nil:
			return nil, fmt.Errorf("line %d: %q is not an IP address", line, fields[0])
		default:
			return nil, fmt.Errorf("line %d: address %s has no host name", line, fields[0])
		}
		for _, name := range fields[1:] {
			if ascii, err := sdk.ASCIIHost(name); err == nil {
				name = ascii // lookups are by A-label
			}
			key := hostsKey(name)
			table[key] = append(table[key], addr)
		}
	}
	return table, scanner.Err()
}

func hostsKey(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// lookup returns name's addresses of the wanted address types.
func (h hostsTable) lookup(name string, qtypes []uint16) []netip.Addr {
	var out []netip.Addr
	for _, addr := range h[hostsKey(name)] {
		if slices.Contains(qtypes, addrQtype(addr)) {
			out = append(out, addr)
		}
	}
	return out
}

func addrQtype(addr netip.Addr) uint16 {
	if addr.Unmap().Is4() {
		return dns.TypeA
	}
	return dns.TypeAAAA
}

// isLocalhost reports whether name is "localhost" or under it, which RFC
// 6761 §6.3 reserves for the loopback addresses: resolvers answer them
// without a query.
func isLocalhost(name string) bool {
	name = hostsKey(name)
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

// loopback returns the loopback addresses of the wanted address types:
// 127.0.0.1 for A, ::1 for AAAA.
func loopback(qtypes []uint16) []netip.Addr {
	var out []netip.Addr
	for _, qtype := range qtypes {
		if qtype == dns.TypeA {
			out = append(out, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
		} else {
			out = append(out, netip.IPv6Loopback())
		}
	}
	return out
}
