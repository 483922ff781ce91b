package httpphase

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/probe-net/probe/sdk"
)

const (
	// maxBodyBytes bounds how much of a GET response body is read and discarded.
	maxBodyBytes = 1 << 20
	// maxInterim bounds the interim (1xx) responses skipped before the final one.
	maxInterim = 5
	// maxReasonLen bounds the status text quoted in error messages.
	maxReasonLen = 100
)

// session is one Run: one or two request/response exchanges on one connection.
type session struct {
	ctx   context.Context
	conn  net.Conn
	cfg   *config
	host  string
	limit *headerLimit
	br    *bufio.Reader

	start          time.Time     // start of the first request write
	write          time.Duration // time spent writing requests
	duration       time.Duration // start → end of the last response headers read
	method         string        // method of the latest request
	attrs          sdk.Attributes
	bodyDone       bool // a GET body was read to its end
	askedKeepAlive bool // the last request sent asked to keep the connection
}

func newSession(ctx context.Context, conn net.Conn, cfg *config, host string) *session {
	limit := &headerLimit{r: conn}
	return &session{
		ctx:   ctx,
		conn:  conn,
		cfg:   cfg,
		host:  host,
		limit: limit,
		br:    bufio.NewReader(limit),
		attrs: sdk.Attributes{},
	}
}

// run performs the exchange, the GET fallback if configured, and the
// status check.
func (s *session) run() (*sdk.Result, error) {
	s.start = time.Now()
	resp, err := s.exchange(s.cfg.method, s.cfg.keepAlive || s.cfg.fallbackToGet)
	note := ""
	if err == nil && s.cfg.fallbackToGet && resp.StatusCode == http.StatusMethodNotAllowed {
		if resp.Close {
			note = "; the server closed the connection, so no GET fallback was tried"
		} else {
			resp, err = s.exchange(methodGet, s.cfg.keepAlive)
			if err != nil {
				err = sdk.Errorf(sdk.Classify(err), "GET fallback after 405 to HEAD: %w", err)
			}
		}
	}
	if err != nil {
		return s.result(), err
	}
	s.report(resp)
	if s.method == methodGet {
		s.discardBody(resp)
	}
	if !s.cfg.accepts(resp.StatusCode) {
		return s.result(), sdk.Errorf(sdk.KindHTTPStatus, "unexpected status %s (expected %s)%s",
			truncate(resp.Status, maxReasonLen), s.cfg.expected(), note)
	}
	res := s.result()
	if s.cfg.keepAlive {
		why := s.notReusable(resp)
		res.Reusable = why == ""
		if why != "" {
			s.attrs[sdk.AttrHTTPNotReusable] = why
		}
	}
	return res, nil
}

// notReusable says why the connection cannot carry another request although
// keep-alive was asked for, or "" when it can: the server must agree, and
// the response must have been read to its end with nothing left over.
func (s *session) notReusable(resp *http.Response) string {
	switch n := s.br.Buffered(); {
	case resp.Close:
		return "the server closes the connection after this response"
	case s.method == methodGet && !s.bodyDone:
		return "the response body was not read to its end"
	case n > 0 && s.method == methodHead:
		return fmt.Sprintf("%d bytes followed the response to HEAD, which has no body (RFC 9110 §9.3.2): the server sent a body", n)
	case n > 0:
		return fmt.Sprintf("%d bytes followed the end of the response (RFC 9112 §6.3)", n)
	}
	return ""
}

// exchange writes one request and reads the final response's headers.
func (s *session) exchange(method string, keepAlive bool) (*http.Response, error) {
	s.method = method
	s.duration = 0
	s.attrs[sdk.AttrHTTPMethod] = method
	s.limit.arm(s.cfg.maxHeaderBytes)
	defer s.limit.disarm()

	writeStart := time.Now()
	s.askedKeepAlive = keepAlive
	_, err := s.conn.Write(s.request(method, keepAlive))
	s.write += time.Since(writeStart)
	s.attrs[sdk.AttrHTTPWrite] = s.write
	if err != nil {
		return nil, s.ioError("sending "+s.what(), err)
	}
	if _, err := s.br.Peek(1); err != nil {
		return nil, s.readError(err, true)
	}
	s.attrs[sdk.AttrHTTPTTFB] = time.Since(s.start)
	resp, err := s.readFinal(method)
	s.duration = time.Since(s.start)
	if err != nil {
		return nil, s.readError(err, false)
	}
	return resp, nil
}

// request renders the request head. The config was validated, so no field
// can break the framing.
func (s *session) request(method string, keepAlive bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, s.cfg.path, s.host)
	if s.cfg.userAgent != "" {
		fmt.Fprintf(&b, "User-Agent: %s\r\n", s.cfg.userAgent)
	}
	for _, h := range s.cfg.headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h.name, h.value)
	}
	connection := "close"
	if keepAlive {
		connection = "keep-alive"
	}
	fmt.Fprintf(&b, "Connection: %s\r\n\r\n", connection)
	return []byte(b.String())
}

// readFinal reads responses until a final one, skipping interim 1xx
// responses other than 101 Switching Protocols. When there were interim
// responses, it reports them (http.interim) and the first byte of the
// final one (http.final_ttfb); http.ttfb stays the first byte of all, as
// curl's time_starttransfer is.
func (s *session) readFinal(method string) (*http.Response, error) {
	var interim []string
	for i := 0; ; i++ {
		resp, err := http.ReadResponse(s.br, &http.Request{Method: method})
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		if i == maxInterim {
			return nil, fmt.Errorf("more than %d interim (1xx) responses", maxInterim)
		}
		interim = append(interim, truncate(resp.Status, maxReasonLen))
		s.attrs[sdk.AttrHTTPInterim] = interim
		if _, err := s.br.Peek(1); err == nil {
			s.attrs[sdk.AttrHTTPFinalTTFB] = time.Since(s.start)
		}
	}
}

// report records what the final response says.
func (s *session) report(resp *http.Response) {
	s.attrs[sdk.AttrHTTPStatus] = int64(resp.StatusCode)
	s.attrs[sdk.AttrHTTPProtocol] = resp.Proto
	// Open only if both sides asked: with "Connection: close" sent, the
	// server need not echo it to end the connection.
	s.attrs[sdk.AttrHTTPKeepAlive] = s.askedKeepAlive && !resp.Close
	for attr, name := range map[string]string{
		sdk.AttrHTTPLocation:    "Location",
		sdk.AttrHTTPServer:      "Server",
		sdk.AttrHTTPContentType: "Content-Type",
	} {
		if v := resp.Header.Get(name); v != "" {
			s.attrs[attr] = v
		}
	}
	// From the header itself: Go sets ContentLength to 0 for 204 and 304,
	// whose Content-Length describes the representation, not a body.
	if n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		s.attrs[sdk.AttrHTTPContentLength] = n
	}
}

// discardBody reads and drops up to maxBodyBytes of a GET response body,
// timing the read as http.transfer: curl's transfer time (time_total minus
// time_starttransfer), httpstat's "Content Transfer". It is outside the
// phase's Duration, which ends with the headers; the host subtracts it
// from the call's wall time along with Duration, so the time spent reading
// a body is never counted as the framework's overhead. The body is
// deliberately not closed: Close would read all of it.
func (s *session) discardBody(resp *http.Response) {
	start := time.Now()
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes))
	s.attrs[sdk.AttrHTTPTransfer] = time.Since(start)
	s.attrs[sdk.AttrHTTPBodyBytes] = n
	s.bodyDone = err == nil && n < maxBodyBytes
	// The body is outside the phase's Duration, but a body that stops short
	// (a stream that never ends, a reset) is said in the result.
	s.attrs[sdk.AttrHTTPBodyComplete] = s.bodyDone
	if err != nil {
		s.attrs[sdk.AttrHTTPBodyError] = err.Error()
		sdk.Logger(s.ctx).Debug("reading the response body failed", "error", err, "read", n)
	}
}

func (s *session) result() *sdk.Result {
	d := s.duration
	if d == 0 {
		d = time.Since(s.start)
	}
	return &sdk.Result{Duration: d, Attributes: s.attrs}
}

// what names the current request for messages, e.g. "HEAD /health".
func (s *session) what() string { return s.method + " " + s.cfg.path }

// readError classifies a failure to read the response headers.
func (s *session) readError(err error, beforeFirstByte bool) error {
	switch {
	case s.limit.hit || errors.Is(err, errHeadersTooLarge):
		return sdk.Errorf(sdk.KindProtocol, "response headers exceed %d bytes", s.cfg.maxHeaderBytes)
	case beforeFirstByte && errors.Is(err, io.EOF):
		return sdk.Errorf(sdk.KindReset, "connection closed before any response to %s", s.what())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return sdk.Errorf(sdk.KindReset, "connection closed in the middle of the response to %s", s.what())
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return s.ioError("reading the response to "+s.what(), err)
	}
	return sdk.Errorf(sdk.KindProtocol, "malformed response to %s: %w", s.what(), err)
}

// ioError classifies a socket error; a deadline forced by cancellation
// counts as canceled, not timed out.
func (s *session) ioError(doing string, err error) error {
	kind := sdk.Classify(err)
	if kind == sdk.KindTimeout && errors.Is(s.ctx.Err(), context.Canceled) {
		return sdk.Errorf(sdk.KindCanceled, "%s: canceled", doing)
	}
	return sdk.Errorf(kind, "%s: %w", doing, err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// errHeadersTooLarge is returned by headerLimit once its budget is spent.
var errHeadersTooLarge = errors.New("response headers too large")

// headerLimit caps the bytes read from the connection while response
// headers are being parsed. http.ReadResponse reads nothing past the blank
// line that ends the headers, so a read attempted with the budget spent (hit)
// means the headers are longer than the limit. The parser may report that as
// some other error (bufio hands it a truncated line without the read error),
// hence the hit flag.
type headerLimit struct {
	r         io.Reader
	armed     bool
	hit       bool
	remaining int64
}

func (l *headerLimit) arm(n int64) { l.armed, l.hit, l.remaining = true, false, n }
func (l *headerLimit) disarm()     { l.armed = false }

func (l *headerLimit) Read(p []byte) (int, error) {
	if !l.armed {
		return l.r.Read(p)
	}
	if l.remaining <= 0 {
		l.hit = true
		return 0, errHeadersTooLarge
	}
	if int64(len(p)) > l.remaining {
		p = p[:l.remaining]
	}
	n, err := l.r.Read(p)
	l.remaining -= int64(n)
	return n, err
}
