package sdk

import (
	"strings"
	"testing"
)

func TestASCIIHostMapsInternationalisedNamesToALabels(t *testing.T) {
	for in, want := range map[string]string{
		"bücher.probe.test":        "xn--bcher-kva.probe.test",
		"Bücher.Probe.Test.":       "xn--bcher-kva.probe.test.",
		"bücher。probe。test":        "xn--bcher-kva.probe.test", // ideographic full stops are dots
		"xn--bcher-kva.probe.test": "xn--bcher-kva.probe.test",
		"WWW.Probe.Test":           "WWW.Probe.Test", // ASCII stays as written
		"_sip._tcp.probe.test":     "_sip._tcp.probe.test",
		"r3---sn.probe.test":       "r3---sn.probe.test",
		"192.0.2.1":                "192.0.2.1",
		"2001:db8::1":              "2001:db8::1",
		"[2001:db8::1]":            "[2001:db8::1]",
	} {
		got, err := ASCIIHost(in)
		if err != nil || got != want {
			t.Errorf("ASCIIHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestASCIIHostRejectsInvalidNames(t *testing.T) {
	for in, why := range map[string]string{
		"a\u200db.probe.test": "invalid label",   // a joiner out of context
		"bü_cher.probe.test":  "disallowed rune", // STD3 rules apply to IDNs
		"-bücher.probe.test":  "invalid label",
		"bücher..probe.test":  "empty label",
		"\u05d0a.probe.test":  "invalid label", // mixes directions
		"b\xffücher.test":     "not valid UTF-8",
	} {
		got, err := ASCIIHost(in)
		if err == nil || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "domain name") && why != "not valid UTF-8" {
			t.Errorf("ASCIIHost(%q) = %q, %v; want an error saying %q", in, got, err, why)
		}
	}
}

func TestUnicodeHostDecodesALabels(t *testing.T) {
	for in, want := range map[string]string{
		"xn--bcher-kva.probe.test":  "bücher.probe.test",
		"XN--BCHER-KVA.probe.test.": "bücher.probe.test.",
		"www.probe.test":            "",
		"xn--zz.probe.test":         "", // not a valid A-label
		"192.0.2.1":                 "",
	} {
		if got := UnicodeHost(in); got != want {
			t.Errorf("UnicodeHost(%q) = %q, want %q", in, got, want)
		}
	}
}
