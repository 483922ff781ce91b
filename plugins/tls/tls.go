// Package tlsphase is the probe phase that performs the TLS handshake on the
// connection the TCP phase opened, verifies the server's certificate, reports
// what was negotiated and hands the TLS session on to the next phase.
package tlsphase

import (
	"context"
	"crypto/tls"
	"sync/atomic"
	"time"

	"github.com/probe-net/probe/sdk"
)

// Name is the phase's name.
const Name = sdk.PhaseTLS

// Version is the plugin's version.
const Version = "0.1.0"

// Phase performs TLS client handshakes. Configure it before calling Run;
// Run is safe for concurrent use.
type Phase struct {
	settings atomic.Pointer[settings]
}

// New returns a Phase with the default configuration.
func New() *Phase {
	p := &Phase{}
	s := defaultSettings()
	p.settings.Store(s)
	return p
}

// Describe says what the phase is and which config attributes it takes.
func (p *Phase) Describe() sdk.Description {
	return sdk.Description{
		Name:    Name,
		Version: Version,
		Summary: "Handshakes TLS on the connection and verifies the certificate",
		Schema:  configSchema,
		Reads:   sdk.ReadsNone,
	}
}

// Configure validates and applies the config; on error the previous
// configuration stays in force. A new config starts a new session cache.
func (p *Phase) Configure(cfg sdk.Config) error {
	s, err := parseConfig(cfg)
	if err != nil {
		return err
	}
	p.settings.Store(s)
	return nil
}

// Run handshakes on req.Conn and returns the TLS session as Result.Conn.
func (p *Phase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	if req.Conn == nil {
		return nil, sdk.Errorf(sdk.KindInput, "no connection to handshake on: a tcp phase must run before tls")
	}
	s := p.settings.Load()
	cfg, err := s.clientConfig(req.Target)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(req.Conn, cfg)
	start := time.Now()
	err = conn.HandshakeContext(ctx)
	res := &sdk.Result{Duration: time.Since(start), Attributes: sdk.Attributes{sdk.AttrTLSServerName: cfg.ServerName}}
	if s.insecure {
		res.Attributes[sdk.AttrTLSInsecure] = true
	}
	now := time.Now()
	if err != nil {
		addPeer(res.Attributes, unverifiedLeaf(err), now)
		return res, handshakeError(ctx, err)
	}
	state := conn.ConnectionState()
	addSession(res.Attributes, state)
	if len(state.PeerCertificates) > 0 {
		addPeer(res.Attributes, state.PeerCertificates[0], now)
	}
	addChain(res.Attributes, state, now)
	res.Conn = conn
	return res, nil
}
