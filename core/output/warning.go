package output

import (
	"slices"
	"strings"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// InsecureTargets lists, in first-seen order, the targets whose TLS
// certificate went unverified in some probe (the tls plugin's
// insecure_skip_verify). Every renderer says so loudly.
func InsecureTargets(samples []sample.Sample) []string {
	var names []string
	for _, s := range samples {
		for _, p := range s.Phases {
			if p.Attributes[sdk.AttrTLSInsecure] == true && !slices.Contains(names, s.Target) {
				names = append(names, s.Target)
			}
		}
	}
	return names
}

// plainMessage is an error message as JSON documents carry it: without a
// leading "<kind>: ", since the kind has a field of its own.
func plainMessage(kind sdk.ErrorKind, message string) string {
	return strings.TrimPrefix(message, string(kind)+": ")
}

// insecureWarning is the line every renderer prints for such targets; ""
// when there are none.
func insecureWarning(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "WARNING: TLS CERTIFICATES NOT VERIFIED (insecure_skip_verify) for: " + strings.Join(names, ", ") + "\n"
}
