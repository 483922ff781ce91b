package stats

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// ErrorCount is one cause of failure and how often it happened.
type ErrorCount struct {
	Kind sdk.ErrorKind
	// Cause is the message with its variable parts (IP addresses and
	// ports) replaced by AddrPlaceholder: the key failures are grouped by.
	Cause string
	// Message is the first failure's message of the group, as an example.
	Message string
	Count   int
}

// AddrPlaceholder stands for an IP address, with or without a port, in an
// ErrorCount's Cause.
const AddrPlaceholder = "<addr>"

// addrCandidate finds what may be an IP address, with or without a port:
// an IPv6 address in brackets, a dotted quad, or a run of hex digits,
// colons and dots holding at least two colons. Each is then checked with
// net/netip, so a word such as "dns:" is left alone.
var addrCandidate = regexp.MustCompile(`\[[0-9A-Fa-f:.]+(?:%[0-9A-Za-z_.-]+)?\](?::\d+)?|` +
	`\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|` +
	`[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*`)

// Cause is message with every IP address (and the port after it) replaced
// by AddrPlaceholder, so that failures which differ only in an ephemeral
// local port or in which of a name's addresses was dialled count as one:
//
//	read tcp 127.0.0.1:60776->127.0.0.1:8080: i/o timeout
//	read tcp <addr>-><addr>: i/o timeout
func Cause(message string) string {
	var b strings.Builder
	last := 0
	for _, m := range addrCandidate.FindAllStringIndex(message, -1) {
		if !isAddr(message[m[0]:m[1]]) || inLongerNumber(message, m[0], m[1]) {
			continue
		}
		b.WriteString(message[last:m[0]])
		b.WriteString(AddrPlaceholder)
		last = m[1]
	}
	if last == 0 {
		return message
	}
	b.WriteString(message[last:])
	return b.String()
}

// inLongerNumber reports whether message[i:j] is part of a longer dotted
// number, such as the 1.2.3.4 of a version 1.2.3.4.5.
func inLongerNumber(message string, i, j int) bool {
	dotted := func(k int) bool { return k >= 0 && k < len(message) && message[k] == '.' }
	return dotted(i-1) || dotted(j) && j+1 < len(message) && message[j+1] >= '0' && message[j+1] <= '9'
}

func isAddr(s string) bool {
	if _, err := netip.ParseAddrPort(s); err == nil {
		return true
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if i := strings.IndexByte(inner, '%'); i >= 0 {
		inner = inner[:i]
	}
	_, err := netip.ParseAddr(inner)
	return err == nil
}

// errorGroups counts failures by kind and cause.
type errorGroups struct {
	groups []ErrorCount
	index  map[string]int
	limit  int // 0: unbounded
	other  int // failures of causes beyond limit
}

func (g *errorGroups) add(e *sample.Error) {
	if e == nil {
		e = &sample.Error{Kind: sdk.KindInternal, Message: "unknown failure"}
	}
	cause := Cause(e.Message)
	key := string(e.Kind) + "\x00" + cause
	if i, ok := g.index[key]; ok {
		g.groups[i].Count++
		return
	}
	if g.limit > 0 && len(g.groups) >= g.limit {
		g.other++
		return
	}
	if g.index == nil {
		g.index = map[string]int{}
	}
	g.index[key] = len(g.groups)
	g.groups = append(g.groups, ErrorCount{Kind: e.Kind, Cause: cause, Message: e.Message, Count: 1})
}

func (g *errorGroups) list() []ErrorCount {
	if len(g.groups) == 0 {
		return nil
	}
	return append([]ErrorCount(nil), g.groups...)
}
