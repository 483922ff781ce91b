// Package sdk is the public surface for writing probe phase plugins.
//
// A phase is one step of a probe: resolve a name, dial a socket, handshake
// TLS, send a request. Each phase runs in its own process; probe starts it,
// hands it its config once, then calls Run for every target and iteration.
// Implement Phase and call server.Serve (package sdk/server) from main:
//
//	func main() { server.Serve(myphase.New()) }
//
// Connections cross process boundaries as file descriptors. A phase that
// needs a connection finds it in Request.Conn; a phase that produces one
// returns it in Result.Conn. Any net.Conn may be returned: a plain socket is
// handed on as it is, anything else (a *tls.Conn, say) is bridged through a
// socket pair that the plugin process pumps until the host lets go of it.
//
// Timing is the phase's own job: Result.Duration is the time spent on the
// phase's work, measured with the monotonic clock inside the plugin. Never
// report timestamps; they mean nothing in another process.
//
// The phase vocabulary is here too: the well-known phase names (PhaseDNS,
// PhaseTCP, PhaseTLS, PhaseHTTP) and the attribute keys the built-in phases
// report and probe's renderers read (AttrDNSAnswers, AttrTLSVersion,
// AttrHTTPStatus, ...), each documented with its type and unit. A plugin
// that reports them under those names and types is shown like a built-in.
package sdk

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Phase is implemented by every phase plugin.
type Phase interface {
	// Describe says what the plugin is and which config attributes it takes.
	Describe() Description
	// Configure receives the plugin's config, decoded and type-checked
	// against Description.Schema, and the instance name (Config.InstanceName).
	// Return AttributeErrors (joined with errors.Join) to reject values;
	// each is shown at the attribute's position in the targets file.
	Configure(cfg Config) error
	// Run runs the phase once. The context carries the probe's deadline,
	// which the SDK also sets on Request.Conn. Return a Result together with
	// a non-nil error when there is something to report about a failure (how
	// long it took, a status code). Classify errors with Errorf where the
	// cause is known.
	Run(ctx context.Context, req *Request) (*Result, error)
}

// Description identifies a plugin and declares its config schema.
type Description struct {
	Name    string // the plugin's own name ("statichosts"), not the slot it fills
	Version string
	Summary string // one line, for `probe plugins`
	// Schema declares the attributes the plugin's `config {}` block takes.
	// The host rejects any other attribute, and values of the wrong type,
	// at their position in the targets file before Configure is called.
	Schema []Attribute
	// Reads names the attributes of earlier phases this phase reads from
	// Request.Attributes: keys ("tls.alpn") or prefixes ending in a dot
	// ("tls."). The host sends only those, instead of encoding and
	// decoding every earlier attribute on every call. nil, the zero value,
	// means all of them (what a plugin written before Reads existed
	// gets); a phase that reads none declares ReadsNone.
	Reads []string
}

// ReadsNone is the Description.Reads of a phase that reads no attribute
// of earlier phases.
var ReadsNone = []string{}

// Attribute declares one config attribute.
type Attribute struct {
	Name        string
	Type        Type
	Required    bool
	Description string
	// Path marks a value (a string, or the strings in a list or map) as a
	// file path. The host resolves a relative path against the directory
	// of the targets file before the plugin sees it, as it does a plugin
	// block's path, so a file works from any working directory; the plugin
	// receives an absolute path. Values the host sets itself (probe test's
	// flags) are absolute already.
	Path bool
}

// Target is what is being probed.
type Target struct {
	Name     string
	Host     string
	Port     int
	Protocol string
}

// HostPort returns "host:port", bracketing IPv6 literals.
func (t Target) HostPort() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// Request is the input of one Run call.
type Request struct {
	Target Target
	// Addresses produced by the resolve phase (or the target's IP literal).
	Addresses []netip.Addr
	// Conn is the connection produced by the previous connection-carrying
	// phase, or nil. The SDK closes this process's handle on it after Run
	// returns, unless Run returned a Result.Conn built on top of it, in
	// which case it is closed when that connection is released.
	Conn net.Conn
	// Attributes reported by the earlier phases of this probe (read-only).
	Attributes Attributes
}

// Result is the output of one Run call.
type Result struct {
	// Duration is the phase's own measurement of its work. If it is zero,
	// the SDK reports the wall time of Run instead.
	Duration  time.Duration
	Addresses []netip.Addr
	// Conn is handed on to the next phase; its lifetime then belongs to the SDK.
	Conn       net.Conn
	Attributes Attributes
	// Reusable says the connection this phase used (Request.Conn) can carry
	// another request, as after an HTTP keep-alive response. When the run
	// reuses connections, the next probe of the target starts on it.
	Reusable bool
}

// Attributes are typed facts a phase reports, such as AttrTLSVersion
// ("tls.version") or AttrHTTPStatus. Keys are "<phase>.<name>" by
// convention; the well-known ones are the Attr* constants. Values must be
// string, bool, int, int64, float64, time.Duration or []string; anything else
// is rejected when the result crosses the process boundary.
type Attributes map[string]any

// Clone returns a shallow copy; nil stays nil.
func (a Attributes) Clone() Attributes {
	if a == nil {
		return nil
	}
	out := make(Attributes, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}

// Select returns the attributes reads names (see Description.Reads) in a
// new map; nil reads selects all of them. It returns nil when nothing is
// selected.
func (a Attributes) Select(reads []string) Attributes {
	if reads == nil {
		return a.Clone()
	}
	var out Attributes
	for k, v := range a {
		if Reads(reads, k) {
			if out == nil {
				out = make(Attributes, len(reads))
			}
			out[k] = v
		}
	}
	return out
}

// Reads reports whether reads (see Description.Reads) names key: nil names
// every key; an entry ending in "." names every key under that prefix.
func Reads(reads []string, key string) bool {
	if reads == nil {
		return true
	}
	for _, r := range reads {
		if r == key || (strings.HasSuffix(r, ".") && strings.HasPrefix(key, r)) {
			return true
		}
	}
	return false
}
