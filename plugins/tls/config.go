package tlsphase

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/probe-net/probe/sdk"
)

var configSchema = []sdk.Attribute{
	{Name: "server_name", Type: sdk.String, Description: "Name to send as SNI and verify the certificate against (default: the target's host; an IP literal sends no SNI and is verified against the certificate's IP SANs)."},
	{Name: "alpn", Type: sdk.List(sdk.String), Description: `Protocols to offer with ALPN, in order of preference (default ["http/1.1"]; [] offers none).`},
	{Name: "min_version", Type: sdk.String, Description: `Lowest TLS version to accept: "1.0", "1.1", "1.2" or "1.3" (default "1.2").`},
	{Name: "max_version", Type: sdk.String, Description: `Highest TLS version to offer: "1.0", "1.1", "1.2" or "1.3" (default "1.3").`},
	{Name: "ca_file", Type: sdk.String, Path: true, Description: "PEM file of CA certificates to trust instead of the system roots."},
	{Name: "client_cert", Type: sdk.String, Path: true, Description: "PEM file with the client certificate (chain) to present; needs client_key."},
	{Name: "client_key", Type: sdk.String, Path: true, Description: "PEM file with the private key of client_cert."},
	{Name: "insecure_skip_verify", Type: sdk.Bool, Description: "Accept any server certificate (default false). Reported as tls.insecure = true."},
	{Name: "session_cache", Type: sdk.Bool, Description: "Keep TLS sessions between runs in this plugin process so later handshakes resume (default false)."},
}

// rawConfig is the config as it arrives; nil fields were not set.
type rawConfig struct {
	ServerName         *string   `json:"server_name"`
	ALPN               *[]string `json:"alpn"`
	MinVersion         *string   `json:"min_version"`
	MaxVersion         *string   `json:"max_version"`
	CAFile             *string   `json:"ca_file"`
	ClientCert         *string   `json:"client_cert"`
	ClientKey          *string   `json:"client_key"`
	InsecureSkipVerify *bool     `json:"insecure_skip_verify"`
	SessionCache       *bool     `json:"session_cache"`
}

// settings is the validated config. base is never modified after parsing;
// each Run clones it.
type settings struct {
	serverName   string // "": the target's host
	insecure     bool
	base         *tls.Config
	sessionCache bool
	caches       sync.Map // host:port → tls.ClientSessionCache, when sessionCache
}

func defaultSettings() *settings {
	return &settings{base: &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}}
}

// parseConfig validates every attribute and reports each bad one.
func parseConfig(cfg sdk.Config) (*settings, error) {
	var raw rawConfig
	if err := cfg.Decode(&raw); err != nil {
		return nil, err
	}
	s := defaultSettings()
	errs := []error{
		s.setServerName(raw.ServerName),
		s.setALPN(raw.ALPN),
		s.setVersions(raw.MinVersion, raw.MaxVersion),
		s.setRoots(raw.CAFile),
		s.setClientCert(raw.ClientCert, raw.ClientKey),
	}
	if raw.InsecureSkipVerify != nil && *raw.InsecureSkipVerify {
		s.insecure = true
		s.base.InsecureSkipVerify = true
	}
	s.sessionCache = raw.SessionCache != nil && *raw.SessionCache
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *settings) setServerName(v *string) error {
	if v == nil {
		return nil
	}
	if strings.TrimSpace(*v) == "" {
		return sdk.AttributeErrorf("server_name", "must not be empty (leave it out to use the target's host)")
	}
	name, err := sdk.ASCIIHost(*v) // SNI carries A-labels (RFC 6066 §3)
	if err != nil {
		return sdk.AttributeErrorf("server_name", "%v", err)
	}
	s.serverName = name
	return nil
}

func (s *settings) setALPN(v *[]string) error {
	if v == nil {
		return nil
	}
	var errs []error
	for i, p := range *v {
		attr := fmt.Sprintf("alpn[%d]", i)
		switch {
		case p == "":
			errs = append(errs, sdk.AttributeErrorf(attr, "must not be empty"))
		case len(p) > 255:
			errs = append(errs, sdk.AttributeErrorf(attr, "must be at most 255 bytes, got %d", len(p)))
		}
	}
	s.base.NextProtos = append([]string(nil), *v...)
	return errors.Join(errs...)
}

var versions = map[string]uint16{
	"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13,
}

func (s *settings) setVersions(minV, maxV *string) error {
	lo, errLo := parseVersion("min_version", minV, "1.2")
	hi, errHi := parseVersion("max_version", maxV, "1.3")
	if errLo != nil || errHi != nil {
		return errors.Join(errLo, errHi)
	}
	if versions[hi] < versions[lo] {
		def := ""
		if minV == nil {
			def = " (the default)"
		}
		return sdk.AttributeErrorf("max_version", "%q is below min_version %q%s", hi, lo, def)
	}
	s.base.MinVersion, s.base.MaxVersion = versions[lo], versions[hi]
	return nil
}

func parseVersion(attr string, v *string, def string) (string, error) {
	if v == nil {
		return def, nil
	}
	if _, ok := versions[*v]; !ok {
		return "", sdk.AttributeErrorf(attr, `must be one of "1.0", "1.1", "1.2", "1.3", got %q`, *v)
	}
	return *v, nil
}

func (s *settings) setRoots(path *string) error {
	if path == nil {
		// Load the system roots now: left nil, Go would load them lazily
		// inside the first (timed) handshake, inflating it by tens of ms.
		if pool, err := x509.SystemCertPool(); err == nil {
			s.base.RootCAs = pool
		}
		return nil
	}
	pem, err := readFile("ca_file", *path)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return sdk.AttributeErrorf("ca_file", "no PEM certificates in %q", *path)
	}
	s.base.RootCAs = pool
	return nil
}

func (s *settings) setClientCert(certPath, keyPath *string) error {
	switch {
	case certPath == nil && keyPath == nil:
		return nil
	case keyPath == nil:
		return sdk.AttributeErrorf("client_key", "must be set when client_cert is set")
	case certPath == nil:
		return sdk.AttributeErrorf("client_cert", "must be set when client_key is set")
	}
	certPEM, errCert := readFile("client_cert", *certPath)
	keyPEM, errKey := readFile("client_key", *keyPath)
	if errCert != nil || errKey != nil {
		return errors.Join(errCert, errKey)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return sdk.AttributeErrorf("client_cert", "cannot be used with client_key: %v", err)
	}
	s.base.Certificates = []tls.Certificate{pair}
	return nil
}

// readFile reads a file named by attr, saying which file failed and why.
func readFile(attr, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, sdk.AttributeErrorf(attr, "cannot read %q: %v", path, err)
	}
	return b, nil
}

// clientConfig is the per-Run config for a target host: SNI and the name
// verified are server_name, else the host.
func (s *settings) clientConfig(t sdk.Target) (*tls.Config, error) {
	name := s.serverName
	if name == "" {
		host, err := sdk.ASCIIHost(bareHost(t.Host))
		if err != nil {
			return nil, sdk.Errorf(sdk.KindInput, "target host: %v", err)
		}
		name = host
	}
	if name == "" && !s.insecure {
		return nil, sdk.Errorf(sdk.KindInput, "no name to verify the certificate against: the target has no host and server_name is not set")
	}
	cfg := s.base.Clone()
	cfg.ServerName = name
	if s.sessionCache {
		cfg.ClientSessionCache = s.cacheFor(t.HostPort())
	}
	return cfg, nil
}

// cacheFor returns the session cache of one host:port. crypto/tls keys
// sessions by server name only, so targets sharing a name (two ports, or
// backends behind one server_name) would otherwise evict each other's
// sessions and make tls.resumed flip for reasons unrelated to the target.
func (s *settings) cacheFor(hostPort string) tls.ClientSessionCache {
	if c, ok := s.caches.Load(hostPort); ok {
		return c.(tls.ClientSessionCache)
	}
	c, _ := s.caches.LoadOrStore(hostPort, tls.NewLRUClientSessionCache(0))
	return c.(tls.ClientSessionCache)
}

// bareHost strips brackets and zone from an IPv6 literal: certificates
// name IPs without them, and crypto/tls sends no SNI for IP literals.
func bareHost(host string) string {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.WithZone("").String()
	}
	return host
}
