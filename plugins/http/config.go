package httpphase

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"sort"
	"strings"

	"github.com/probe-net/probe/sdk"
)

// Defaults and bounds of the config attributes.
const (
	defaultPath           = "/"
	defaultUserAgent      = "probe/0.1"
	defaultMaxHeaderBytes = 1 << 20
	maxMaxHeaderBytes     = 1 << 30
)

// rawConfig is the config as it arrives; pointers tell absent from set.
type rawConfig struct {
	Path           *string            `json:"path"`
	Host           *string            `json:"host"`
	UserAgent      *string            `json:"user_agent"`
	Headers        map[string]*string `json:"headers"`
	ExpectStatus   []float64          `json:"expect_status"`
	Method         *string            `json:"method"`
	FallbackToGet  *bool              `json:"fallback_to_get"`
	KeepAlive      *bool              `json:"keep_alive"`
	MaxHeaderBytes *float64           `json:"max_header_bytes"`
}

// header is one extra request header line.
type header struct{ name, value string }

// config is a validated config with defaults applied.
type config struct {
	path           string
	host           string // Host header override; "" means derive it from the target
	userAgent      string // "" means send no User-Agent
	headers        []header
	expectStatus   []int // nil means any 2xx or 3xx
	method         string
	fallbackToGet  bool
	keepAlive      bool
	maxHeaderBytes int64
}

func defaultConfig() *config {
	return &config{
		path:           defaultPath,
		userAgent:      defaultUserAgent,
		method:         methodHead,
		maxHeaderBytes: defaultMaxHeaderBytes,
	}
}

// parseConfig decodes and validates cfg, returning one AttributeError per
// bad attribute (joined).
func parseConfig(cfg sdk.Config) (*config, error) {
	var raw rawConfig
	if err := cfg.Decode(&raw); err != nil {
		return nil, decodeError(err)
	}
	c := defaultConfig()
	errs := []error{
		c.setPath(raw.Path),
		c.setHost(raw.Host),
		c.setUserAgent(raw.UserAgent),
		c.setHeaders(raw.Headers),
		c.setExpectStatus(raw.ExpectStatus),
		c.setMethod(raw.Method, raw.FallbackToGet),
		c.setMaxHeaderBytes(raw.MaxHeaderBytes),
	}
	if raw.KeepAlive != nil {
		c.keepAlive = *raw.KeepAlive
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeError names the attribute whose value has the wrong JSON type.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return sdk.AttributeErrorf(te.Field, "has the wrong type: got %s, want %s", te.Value, te.Type)
	}
	return err
}

func (c *config) setPath(p *string) error {
	if p == nil {
		return nil
	}
	if !strings.HasPrefix(*p, "/") {
		return sdk.AttributeErrorf("path", "must start with \"/\", got %q", *p)
	}
	if i := strings.IndexFunc(*p, func(r rune) bool { return !isVisibleASCII(r) || r == '#' }); i >= 0 {
		return sdk.AttributeErrorf("path", "must hold only visible ASCII characters and no \"#\" (percent-encode others), got %q", *p)
	}
	c.path = *p
	return nil
}

func (c *config) setHost(h *string) error {
	if h == nil {
		return nil
	}
	if *h == "" {
		return sdk.AttributeErrorf("host", "must not be empty (omit it to use the target's host)")
	}
	host, err := asciiHostPort(*h)
	if err != nil {
		return sdk.AttributeErrorf("host", "%v", err)
	}
	if strings.ContainsFunc(host, func(r rune) bool { return !isVisibleASCII(r) || strings.ContainsRune("/?#@", r) }) {
		return sdk.AttributeErrorf("host", "must be a host or host:port, got %q", *h)
	}
	c.host = host
	return nil
}

// asciiHostPort maps the host of "host" or "host:port" to its A-label form
// (sdk.ASCIIHost), as the Host header carries it (RFC 9110 §7.2).
func asciiHostPort(hp string) (string, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		host, port = hp, ""
	}
	ascii, err := sdk.ASCIIHost(host)
	if err != nil || port == "" {
		return ascii, err
	}
	return net.JoinHostPort(ascii, port), nil
}

func (c *config) setUserAgent(ua *string) error {
	if ua == nil {
		return nil
	}
	if !validHeaderValue(*ua) {
		return sdk.AttributeErrorf("user_agent", "must not contain control characters, got %q", *ua)
	}
	c.userAgent = *ua
	return nil
}

// reservedHeaders are set by the phase itself; the value says which
// attribute controls each.
var reservedHeaders = map[string]string{
	"host":              `set it with the "host" attribute`,
	"user-agent":        `set it with the "user_agent" attribute`,
	"connection":        `set by the "keep_alive" attribute`,
	"keep-alive":        `set by the "keep_alive" attribute`,
	"content-length":    "not allowed: the request has no body",
	"transfer-encoding": "not allowed: the request has no body",
}

func (c *config) setHeaders(m map[string]*string) error {
	var errs []error
	for name, value := range m {
		attr := fmt.Sprintf("headers[%q]", name)
		switch {
		case !validHeaderName(name):
			errs = append(errs, sdk.AttributeErrorf(attr, "is not a valid header name"))
		case reservedHeaders[strings.ToLower(name)] != "":
			errs = append(errs, sdk.AttributeErrorf(attr, "%s", reservedHeaders[strings.ToLower(name)]))
		case value == nil:
			errs = append(errs, sdk.AttributeErrorf(attr, "must not be null"))
		case !validHeaderValue(*value):
			errs = append(errs, sdk.AttributeErrorf(attr, "must not contain control characters, got %q", *value))
		default:
			c.headers = append(c.headers, header{name, *value})
		}
	}
	sort.Slice(c.headers, func(i, j int) bool { return c.headers[i].name < c.headers[j].name })
	sortAttributeErrors(errs)
	return errors.Join(errs...)
}

func (c *config) setExpectStatus(list []float64) error {
	if list == nil {
		return nil
	}
	if len(list) == 0 {
		return sdk.AttributeErrorf("expect_status", "must not be empty (omit it to accept any 2xx or 3xx)")
	}
	var errs []error
	for i, v := range list {
		attr := fmt.Sprintf("expect_status[%d]", i)
		if v != math.Trunc(v) || v < 100 || v > 599 {
			errs = append(errs, sdk.AttributeErrorf(attr, "must be a whole number from 100 to 599, got %v", v))
			continue
		}
		c.expectStatus = append(c.expectStatus, int(v))
	}
	return errors.Join(errs...)
}

func (c *config) setMethod(m *string, fallback *bool) error {
	if m != nil {
		if *m != methodHead && *m != methodGet {
			return sdk.AttributeErrorf("method", "must be %q or %q, got %q", methodHead, methodGet, *m)
		}
		c.method = *m
	}
	if fallback != nil && *fallback {
		if c.method != methodHead {
			return sdk.AttributeErrorf("fallback_to_get", "only applies when method is %q", methodHead)
		}
		c.fallbackToGet = true
	}
	return nil
}

func (c *config) setMaxHeaderBytes(n *float64) error {
	if n == nil {
		return nil
	}
	if *n != math.Trunc(*n) || *n < 1 || *n > maxMaxHeaderBytes {
		return sdk.AttributeErrorf("max_header_bytes", "must be a whole number from 1 to %d, got %v", maxMaxHeaderBytes, *n)
	}
	c.maxHeaderBytes = int64(*n)
	return nil
}

// accepts reports whether status is one the config expects.
func (c *config) accepts(status int) bool {
	if c.expectStatus == nil {
		return status >= 200 && status <= 399
	}
	for _, s := range c.expectStatus {
		if s == status {
			return true
		}
	}
	return false
}

// expected describes the accepted statuses for error messages.
func (c *config) expected() string {
	if c.expectStatus == nil {
		return "2xx or 3xx"
	}
	s := make([]string, len(c.expectStatus))
	for i, v := range c.expectStatus {
		s[i] = fmt.Sprint(v)
	}
	if len(s) == 1 {
		return s[0]
	}
	return "one of " + strings.Join(s, ", ")
}

func sortAttributeErrors(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

func isVisibleASCII(r rune) bool { return r > ' ' && r < 0x7f }

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !isVisibleASCII(r) || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// validHeaderValue rejects control characters (CR and LF among them),
// which would let a value end the header line.
func validHeaderValue(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f })
}
