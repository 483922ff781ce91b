package tcpphase

import (
	"net/netip"
	"strings"

	"github.com/probe-net/probe/sdk"
)

// candidates turns the resolved addresses into the order the race tries
// them in: filtered by family, duplicates dropped, families interleaved.
func (s *settings) candidates(addrs []netip.Addr, port int) ([]netip.AddrPort, error) {
	if len(addrs) == 0 {
		return nil, sdk.Errorf(sdk.KindInput, "no addresses to connect to: the resolve phase produced none")
	}
	if port < 1 || port > 65535 {
		return nil, sdk.Errorf(sdk.KindInput, "target port %d is out of range 1-65535", port)
	}
	kept := s.filter(addrs)
	if len(kept) == 0 {
		return nil, sdk.Errorf(sdk.KindNoAddress, "no %s address among %s%s", s.wanted(), list(addrs), s.why())
	}
	out := make([]netip.AddrPort, 0, len(kept))
	for _, a := range interleave(kept) {
		out = append(out, netip.AddrPortFrom(a, uint16(port)))
	}
	return out, nil
}

// filter keeps the addresses of the wanted family, unmapped, each once.
func (s *settings) filter(addrs []netip.Addr) []netip.Addr {
	want := s.wanted()
	seen := make(map[netip.Addr]bool, len(addrs))
	var kept []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if !a.IsValid() || seen[a] || (want != anyFamily && familyOf(a) != want) {
			continue
		}
		seen[a] = true
		kept = append(kept, a)
	}
	return kept
}

// why explains where the wanted family comes from.
func (s *settings) why() string {
	if s.source.IsValid() {
		return " (source_address " + s.source.String() + " is " + familyOf(s.source).String() + ")"
	}
	return ""
}

// interleave alternates families, starting with the first address's family
// and keeping the order within each family (RFC 8305 section 4).
func interleave(addrs []netip.Addr) []netip.Addr {
	first := familyOf(addrs[0])
	var same, other []netip.Addr
	for _, a := range addrs {
		if familyOf(a) == first {
			same = append(same, a)
		} else {
			other = append(other, a)
		}
	}
	out := make([]netip.Addr, 0, len(addrs))
	for i := 0; i < len(same) || i < len(other); i++ {
		if i < len(same) {
			out = append(out, same[i])
		}
		if i < len(other) {
			out = append(out, other[i])
		}
	}
	return out
}

// list renders addresses for a message, eliding long lists.
func list(addrs []netip.Addr) string {
	const shown = 4
	parts := make([]string, 0, shown+1)
	for i, a := range addrs {
		if i == shown {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, a.String())
	}
	return strings.Join(parts, ", ")
}
