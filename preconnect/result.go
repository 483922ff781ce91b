package preconnect

import (
	"net/netip"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Status is the outcome of one phase.
type Status string

// Phase outcomes. A phase after a failed one did not run and is absent
// from Result.Phases.
const (
	OK      Status = "ok"
	Failed  Status = "failed"
	Skipped Status = "skipped" // not needed: dns for an IP literal
)

// Phase is one phase's result.
type Phase struct {
	// Name is "dns", "tcp", "tls" or "http".
	Name   string
	Status Status
	// Duration is the phase's own measurement of its work, as the CLI
	// reports it: dns from the first query sent to the last answer parsed,
	// tcp the connect (all Happy Eyeballs attempts), tls the handshake, http
	// from writing the request to the end of the response headers. Zero
	// when skipped.
	Duration time.Duration
	// Attributes are the facts the phase reported, keyed "<phase>.<name>"
	// ("tls.version", "http.status"); plugins/*/README.md lists them.
	Attributes map[string]any
	// Err is set when Status is Failed.
	Err *Error
	// Note says why a phase was skipped.
	Note string
}

// TLSInfo is what a TLS handshake negotiated.
type TLSInfo struct {
	Version    string // "TLS 1.3"
	Cipher     string // "TLS_AES_128_GCM_SHA256"
	Curve      string // key exchange group, "X25519MLKEM768"; "" when none
	ALPN       string // negotiated application protocol, "h2" or "http/1.1"; "" when none
	ServerName string // the name sent as SNI and verified
	// Resumed says the handshake resumed an earlier session (a ticket from
	// a previous connection to the same host and port).
	Resumed bool
}

// Result is one probe of one target, or one connection a Pool made.
type Result struct {
	// Target is the target as probed, defaults filled in.
	Target Target
	// Start is when the probe began (wall clock, for display).
	Start time.Time
	// Phases are the phases that ran or were skipped, in chain order.
	Phases []Phase
	// DNS, TCP, TLS and HTTP are the phases' own durations (Phase.Duration);
	// zero for a phase that did not run, was skipped or is not in the chain.
	DNS, TCP, TLS, HTTP time.Duration
	// Latency is the sum of the phases' durations: the CLI's "total". On
	// failure it covers the phases up to and including the failed one.
	Latency time.Duration
	// Address is the address the tcp phase connected to; invalid when it
	// did not connect.
	Address netip.AddrPort
	// TLSInfo is what the tls phase negotiated; nil without a successful
	// handshake.
	TLSInfo *TLSInfo
	// Err is nil when every phase succeeded, else the failure (an *Error).
	Err error
}

// OK reports whether every phase that ran succeeded.
func (r Result) OK() bool { return r.Err == nil }

// fromSample converts what the runner produced.
func fromSample(t Target, s sample.Sample) Result {
	r := Result{Target: t, Start: s.Start}
	for _, p := range s.Phases {
		r.add(phaseOf(p))
	}
	return r
}

func phaseOf(p sample.Phase) Phase {
	out := Phase{Name: p.Name, Status: Status(p.Status), Duration: p.Duration, Attributes: p.Attributes, Note: p.Note}
	if p.Error != nil {
		out.Err = &Error{Phase: p.Name, Kind: p.Error.Kind, Message: sample.TrimKind(p.Error.Kind, p.Error.Message), Err: p.Error.Err}
	}
	return out
}

// add appends p and folds it into the summary fields.
func (r *Result) add(p Phase) {
	r.Phases = append(r.Phases, p)
	r.Latency += p.Duration
	switch p.Name {
	case sdk.PhaseDNS:
		r.DNS = p.Duration
	case sdk.PhaseTCP:
		r.TCP = p.Duration
		if a, err := netip.ParseAddrPort(str(p.Attributes, sdk.AttrTCPRemote)); err == nil {
			r.Address = a
		}
	case sdk.PhaseTLS:
		r.TLS = p.Duration
		if p.Status == OK {
			r.TLSInfo = tlsInfo(p.Attributes)
		}
	case sdk.PhaseHTTP:
		r.HTTP = p.Duration
	}
	if p.Err != nil && r.Err == nil {
		r.Err = p.Err
	}
}

func tlsInfo(a map[string]any) *TLSInfo {
	resumed, _ := a[sdk.AttrTLSResumed].(bool)
	return &TLSInfo{
		Version: str(a, sdk.AttrTLSVersion), Cipher: str(a, sdk.AttrTLSCipher), Curve: str(a, sdk.AttrTLSCurve),
		ALPN: str(a, sdk.AttrTLSALPN), ServerName: str(a, sdk.AttrTLSServerName), Resumed: resumed,
	}
}

func str(a map[string]any, key string) string {
	s, _ := a[key].(string)
	return s
}
