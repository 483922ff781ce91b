package sdk

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ASCIIHost returns a host name in the form that goes on the wire — in DNS
// questions, as TLS SNI and in the HTTP Host header — from the form people
// write it in:
//
//   - an IP address (IPv6 bare or in brackets) is returned as it is;
//   - a name of ASCII characters only is returned as it is, as curl and Go's
//     net/http do, so names that DNS allows but IDNA's stricter rules refuse
//     ("_sip._tcp.example", "r3---sn.example") keep working;
//   - any other name is mapped to A-labels by IDNA 2008 as UTS #46 processes
//     it for lookup (golang.org/x/net/idna's Lookup profile: non-transitional,
//     STD3 rules, case folded): "Bücher.example" becomes
//     "xn--bcher-kva.example", as browsers and curl send it.
//
// The error says why a name cannot be mapped (a code point IDNA disallows,
// a joiner out of context, a label mixing directions, an empty label); it
// quotes the name with %q, so it is safe to print.
func ASCIIHost(host string) (string, error) {
	if isASCII(host) || isIPLiteral(host) {
		return host, nil
	}
	if !utf8.ValidString(host) {
		return "", fmt.Errorf("%q is not valid UTF-8", host)
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid internationalised domain name (IDNA 2008, UTS #46): %s",
			host, strings.TrimPrefix(err.Error(), "idna: "))
	}
	if strings.Contains(strings.TrimSuffix(ascii, "."), "..") || strings.HasPrefix(ascii, ".") {
		return "", fmt.Errorf("%q is not a valid internationalised domain name: it has an empty label", host)
	}
	return ascii, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isIPLiteral(host string) bool {
	_, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return err == nil
}

// UnicodeHost returns the Unicode form of a host name that holds A-labels
// ("xn--bcher-kva.example" → "bücher.example", as UTS #46 maps it for
// display), or "" when the host has none or they do not decode: output
// shows an internationalised name as people read it, with its A-label.
func UnicodeHost(host string) string {
	if !strings.Contains(strings.ToLower(host), "xn--") || isIPLiteral(host) {
		return ""
	}
	u, err := idna.Lookup.ToUnicode(host)
	if err != nil || u == host {
		return ""
	}
	return u
}
