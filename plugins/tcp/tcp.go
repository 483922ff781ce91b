// Package tcpphase is the probe phase that opens the TCP connection: it
// races the resolved addresses with Happy Eyeballs (RFC 8305) and hands the
// winning socket on to the next phase.
package tcpphase

import (
	"context"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/probe-net/probe/sdk"
)

// Name is the phase's name.
const Name = sdk.PhaseTCP

// Version is the plugin's version.
const Version = "0.1.0"

// Phase dials TCP connections. Configure it before calling Run; Run is safe
// for concurrent use.
type Phase struct {
	settings atomic.Pointer[settings]
}

// New returns a Phase with the default configuration.
func New() *Phase {
	p := &Phase{}
	s := defaultSettings()
	p.settings.Store(&s)
	return p
}

// Describe says what the phase is and which config attributes it takes.
func (p *Phase) Describe() sdk.Description {
	return sdk.Description{
		Name:    Name,
		Version: Version,
		Summary: "Connects to the resolved addresses with Happy Eyeballs (RFC 8305)",
		Schema:  configSchema,
		Reads:   sdk.ReadsNone,
	}
}

// Configure validates and applies the config; on error the previous
// configuration stays in force.
func (p *Phase) Configure(cfg sdk.Config) error {
	s, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	p.settings.Store(&s)
	return nil
}

// Run connects to one of req.Addresses on req.Target.Port and returns the
// established socket as Result.Conn.
func (p *Phase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	s := p.settings.Load()
	candidates, err := s.candidates(req.Addresses, req.Target.Port)
	if err != nil {
		return nil, err
	}
	if s.connectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.connectTimeout)
		defer cancel()
	}
	out := race{dial: s.dial, delay: s.attemptDelay}.run(ctx, candidates)
	res := &sdk.Result{
		Duration:   out.took,
		Attributes: sdk.Attributes{sdk.AttrTCPAttempts: int64(out.attempts)},
	}
	if out.conn == nil {
		return res, failure(ctx, out.failures)
	}
	res.Conn = out.conn
	res.Attributes[sdk.AttrTCPRemote] = out.addr.String()
	res.Attributes[sdk.AttrTCPLocal] = out.conn.LocalAddr().String()
	res.Attributes[sdk.AttrTCPFamily] = familyOf(out.addr.Addr()).String()
	return res, nil
}

// dial makes one connection attempt to addr.
func (s *settings) dial(ctx context.Context, addr netip.AddrPort) (*net.TCPConn, error) {
	d := net.Dialer{}
	if s.source.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(s.source, 0))
	}
	c, err := d.DialContext(ctx, familyOf(addr.Addr()).network(), addr.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}
