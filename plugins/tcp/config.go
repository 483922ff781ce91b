package tcpphase

import (
	"errors"
	"net/netip"
	"time"

	"github.com/probe-net/probe/sdk"
)

var configSchema = []sdk.Attribute{
	{Name: "family", Type: sdk.String, Description: `Address family to connect over: "any" (default), "ipv4" or "ipv6".`},
	{Name: "attempt_delay", Type: sdk.String, Description: `Happy Eyeballs connection attempt delay: how long an attempt runs before the next address is tried in parallel (default "250ms", at least "10ms").`},
	{Name: "connect_timeout", Type: sdk.String, Description: "Limit on the whole connect race, e.g. \"2s\" (default: only the probe's deadline)."},
	{Name: "source_address", Type: sdk.String, Description: "Local IP address to bind before connecting; only addresses of its family are tried."},
}

const (
	defaultAttemptDelay = 250 * time.Millisecond
	minAttemptDelay     = 10 * time.Millisecond // RFC 8305 section 5
)

// rawConfig is the config as it arrives; nil fields were not set.
type rawConfig struct {
	Family         *string `json:"family"`
	AttemptDelay   *string `json:"attempt_delay"`
	ConnectTimeout *string `json:"connect_timeout"`
	SourceAddress  *string `json:"source_address"`
}

// settings is the validated config a Run works with.
type settings struct {
	family         family
	attemptDelay   time.Duration
	connectTimeout time.Duration // 0: only the context's deadline
	source         netip.Addr    // zero: let the kernel choose
}

func defaultSettings() settings {
	return settings{family: anyFamily, attemptDelay: defaultAttemptDelay}
}

// parseConfig validates every attribute and reports each bad one.
func parseConfig(cfg sdk.Config) (settings, error) {
	var raw rawConfig
	if err := cfg.Decode(&raw); err != nil {
		return settings{}, err
	}
	s := defaultSettings()
	var errs []error
	if raw.Family != nil {
		f, err := parseFamily(*raw.Family)
		errs = append(errs, err)
		s.family = f
	}
	if raw.AttemptDelay != nil {
		d, err := parseAttemptDelay(*raw.AttemptDelay)
		errs = append(errs, err)
		s.attemptDelay = d
	}
	if raw.ConnectTimeout != nil {
		d, err := parseConnectTimeout(*raw.ConnectTimeout)
		errs = append(errs, err)
		s.connectTimeout = d
	}
	if raw.SourceAddress != nil {
		a, err := parseSource(*raw.SourceAddress, s.family)
		errs = append(errs, err)
		s.source = a
	}
	return s, errors.Join(errs...)
}

func parseFamily(v string) (family, error) {
	switch f := family(v); f {
	case anyFamily, ipv4, ipv6:
		return f, nil
	}
	return anyFamily, sdk.AttributeErrorf("family", `must be "any", "ipv4" or "ipv6", got %q`, v)
}

func parseAttemptDelay(v string) (time.Duration, error) {
	d, err := parseDuration("attempt_delay", v)
	if err == nil && d < minAttemptDelay {
		err = sdk.AttributeErrorf("attempt_delay", "must be at least %v (RFC 8305), got %q", minAttemptDelay, v)
	}
	return d, err
}

func parseConnectTimeout(v string) (time.Duration, error) {
	d, err := parseDuration("connect_timeout", v)
	if err == nil && d <= 0 {
		err = sdk.AttributeErrorf("connect_timeout", "must be positive, got %q", v)
	}
	return d, err
}

func parseDuration(attr, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, sdk.AttributeErrorf(attr, `not a duration: %q (write it like "250ms" or "2s")`, v)
	}
	return d, nil
}

// parseSource parses source_address; its family must agree with family.
func parseSource(v string, want family) (netip.Addr, error) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, sdk.AttributeErrorf("source_address", "not an IP address: %q", v)
	}
	a = a.Unmap()
	if got := familyOf(a); want != anyFamily && got != want {
		return netip.Addr{}, sdk.AttributeErrorf("source_address", "%s is an %s address but family is %q", a, got, want)
	}
	return a, nil
}

// family is an address family as the config and attributes name it.
type family string

const (
	anyFamily family = "any"
	ipv4      family = "ipv4"
	ipv6      family = "ipv6"
)

func familyOf(a netip.Addr) family {
	if a.Unmap().Is4() {
		return ipv4
	}
	return ipv6
}

func (f family) String() string { return string(f) }

// network is the net.Dial network for the family.
func (f family) network() string {
	if f == ipv4 {
		return "tcp4"
	}
	return "tcp6"
}

// wanted is the family addresses must have: the source address's when one
// is set, else the configured one.
func (s *settings) wanted() family {
	if s.source.IsValid() {
		return familyOf(s.source)
	}
	return s.family
}
