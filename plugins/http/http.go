// Package httpphase is the HTTP phase of probe: it sends one HTTP/1.1
// request (HEAD by default) over the connection the previous phase handed on
// (a TCP socket for http, the plaintext end of a TLS session for https) and
// reports the status, the timing and a few response headers.
//
// The phase never dials and never follows redirects. Its Duration runs from
// the start of the request write to the end of the response headers; the
// time to the first response byte is reported as http.ttfb.
package httpphase

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/probe-net/probe/sdk"
)

// Name is the phase's name; Version is the plugin's version.
const (
	Name    = sdk.PhaseHTTP
	Version = "0.1.0"
)

const (
	methodHead = "HEAD"
	methodGet  = "GET"
)

// Phase sends an HTTP request over the connection it is given.
type Phase struct {
	cfg atomic.Pointer[config]
}

// New returns the phase with the default config.
func New() *Phase {
	p := &Phase{}
	p.cfg.Store(defaultConfig())
	return p
}

// Describe says what the phase is and which config it takes.
func (p *Phase) Describe() sdk.Description {
	return sdk.Description{
		Name:    Name,
		Version: Version,
		Summary: "Sends an HTTP/1.1 HEAD (or GET) over the connection and checks the status",
		Schema:  schema,
		Reads:   reads,
	}
}

// reads are what the TLS phase negotiated: the request must fit it.
var reads = []string{sdk.AttrTLSALPN, sdk.AttrTLSServerName}

// schema is the config the phase takes.
var schema = []sdk.Attribute{
	{Name: "path", Type: sdk.String, Description: `request path and query, starting with "/" (default "/")`},
	{Name: "host", Type: sdk.String, Description: `Host header (default: the target's host, plus ":port" unless it is the protocol's default port)`},
	{Name: "user_agent", Type: sdk.String, Description: `User-Agent header (default "probe/0.1"; "" sends none)`},
	{Name: "headers", Type: sdk.Map(sdk.String), Description: "extra request headers"},
	{Name: "expect_status", Type: sdk.List(sdk.Int), Description: "accepted status codes (default: any 2xx or 3xx)"},
	{Name: "method", Type: sdk.String, Description: `"HEAD" (default) or "GET"`},
	{Name: "fallback_to_get", Type: sdk.Bool, Description: "when HEAD is answered 405, send a GET on the same connection if the server kept it open (default false)"},
	{Name: "keep_alive", Type: sdk.Bool, Description: `send "Connection: keep-alive" instead of "Connection: close" (default false)`},
	{Name: "max_header_bytes", Type: sdk.Int, Description: "largest accepted response header block in bytes (default 1048576)"},
}

// Configure validates and stores the config, replacing any earlier one.
func (p *Phase) Configure(cfg sdk.Config) error {
	c, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	p.cfg.Store(c)
	return nil
}

// Run sends the request over req.Conn and reads the response headers.
func (p *Phase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	if req.Conn == nil {
		return nil, sdk.Errorf(sdk.KindInput, "no connection to send the request on (a tcp or tls phase must come first)")
	}
	if alpn, ok := req.Attributes[sdk.AttrTLSALPN].(string); ok && alpn != "" && alpn != "http/1.1" {
		return nil, sdk.Errorf(sdk.KindProtocol,
			"the TLS session agreed on ALPN %q, but this phase speaks HTTP/1.1 only: offer alpn = [\"http/1.1\"] in the tls plugin", alpn)
	}
	cfg := p.cfg.Load()
	host := cfg.host
	if host == "" {
		t := withTLSName(req)
		ascii, err := sdk.ASCIIHost(t.Host) // the Host header carries A-labels
		if err != nil {
			return nil, sdk.Errorf(sdk.KindInput, "target host: %v", err)
		}
		t.Host = ascii
		host = hostHeader(t)
		if !isHostHeaderValue(host) {
			return nil, sdk.Errorf(sdk.KindInput, "target host %q cannot be sent as a Host header", req.Target.Host)
		}
	}
	defer bindContext(ctx, req.Conn)()
	s := newSession(ctx, req.Conn, cfg, host)
	return s.run()
}

// withTLSName returns the target with its host replaced by the name the TLS
// phase sent as SNI, if any: Host and SNI must agree, or servers may refuse
// the request (421 Misdirected Request).
func withTLSName(req *sdk.Request) sdk.Target {
	t := req.Target
	if name, ok := req.Attributes[sdk.AttrTLSServerName].(string); ok && name != "" {
		t.Host = name
	}
	return t
}

// hostHeader is the target's host, bracketed if it is an IPv6 literal, plus
// ":port" unless the port is the protocol's default.
func hostHeader(t sdk.Target) string {
	host := t.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	if t.Port == 0 || t.Port == defaultPort(t.Protocol) {
		return host
	}
	return host + ":" + strconv.Itoa(t.Port)
}

func defaultPort(protocol string) int {
	switch protocol {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

func isHostHeaderValue(h string) bool {
	return h != "" && !strings.ContainsFunc(h, func(r rune) bool { return !isVisibleASCII(r) })
}

// bindContext makes ctx's deadline and cancellation interrupt I/O on conn.
// The returned func releases the binding.
func bindContext(ctx context.Context, conn net.Conn) (release func()) {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return func() { stop() }
}
