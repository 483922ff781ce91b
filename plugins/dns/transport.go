package dnsphase

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// exchanger sends one query to one server and returns the parsed answer.
// It must honour ctx, deadline and cancellation alike.
type exchanger interface {
	exchange(ctx context.Context, msg *dns.Msg, server string) (*dns.Msg, error)
}

// wireExchanger speaks DNS over udp, tcp or tcp-tls (DoT), with a new
// connection for every query.
type wireExchanger struct {
	client *dns.Client
}

func newWireExchanger(network string, cfg *settings) *wireExchanger {
	return &wireExchanger{client: &dns.Client{Net: network, Timeout: cfg.timeout, TLSConfig: cfg.tls}}
}

func (w *wireExchanger) exchange(ctx context.Context, msg *dns.Msg, server string) (*dns.Msg, error) {
	conn, err := w.client.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var datagrams *datagramConn
	if udp, ok := conn.Conn.(*net.UDPConn); ok {
		datagrams = &datagramConn{UDPConn: udp}
		conn.Conn = datagrams
	}
	// The client only applies ctx's deadline; closing the connection also
	// honours cancellation.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	resp, _, err := w.client.ExchangeWithConnContext(ctx, msg, conn)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err() // the closed connection's error says nothing more
	case datagrams != nil && datagrams.oversize > 0:
		return nil, &oversizeError{size: datagrams.oversize, limit: datagrams.limit}
	case err != nil && !isNetworkError(err):
		return nil, &malformedError{cause: err}
	}
	return resp, err
}

// datagramConn reads every datagram whole, whatever buffer the DNS client
// offers, so that an answer larger than the payload size the query
// advertised is recognised as such instead of failing to parse once the
// kernel has cut it to the buffer's size.
type datagramConn struct {
	*net.UDPConn
	oversize int // size of a datagram that did not fit the client's buffer; 0 if none
	limit    int // the client's buffer: the advertised payload size
}

func (c *datagramConn) Read(p []byte) (int, error) {
	buf := make([]byte, dns.MaxMsgSize)
	n, err := c.UDPConn.Read(buf)
	if n > len(p) {
		c.oversize, c.limit = n, len(p)
	}
	return copy(p, buf[:n]), err
}

// isNetworkError reports whether err came from the connection rather than
// from parsing what arrived on it.
func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// dohMediaType is the RFC 8484 message format.
const dohMediaType = "application/dns-message"

// dohExchanger POSTs queries to a DoH server (RFC 8484), each on a
// connection of its own.
type dohExchanger struct {
	client    *http.Client
	transport *http.Transport
}

func newDoHExchanger(cfg *settings) *dohExchanger {
	t := &http.Transport{
		Proxy:                  nil, // a resolver is reached directly
		DialContext:            (&net.Dialer{}).DialContext,
		TLSClientConfig:        cfg.tls.Clone(),
		ForceAttemptHTTP2:      true,
		DisableKeepAlives:      true, // a connection per query, like dot
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	if len(cfg.bootstrap) > 0 {
		t.DialContext = bootstrapDialer(cfg.bootstrap, cfg.timeout)
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &dohExchanger{client: &http.Client{Transport: t, CheckRedirect: noRedirect}, transport: t}
}

func (d *dohExchanger) closeIdle() { d.transport.CloseIdleConnections() }

func (d *dohExchanger) exchange(ctx context.Context, msg *dns.Msg, server string) (*dns.Msg, error) {
	query := msg.Copy()
	query.Id = 0 // RFC 8484 4.1: cache friendly
	packed, err := query.Pack()
	if err != nil {
		return nil, fmt.Errorf("packing the query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server, bytes.NewReader(packed))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", dohMediaType)
	req.Header.Set("Accept", dohMediaType)
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readDoHResponse(resp)
}

func readDoHResponse(resp *http.Response) (*dns.Msg, error) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 { // RFC 8484 §4.2.1: any 2xx
		return nil, fmt.Errorf("http status %s", resp.Status)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != dohMediaType {
		return nil, fmt.Errorf("content type %q, want %s", resp.Header.Get("Content-Type"), dohMediaType)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, dns.MaxMsgSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(body) > dns.MaxMsgSize {
		return nil, fmt.Errorf("the answer is larger than %d bytes", dns.MaxMsgSize)
	}
	m := new(dns.Msg)
	if err := m.Unpack(body); err != nil {
		return nil, &malformedError{cause: err}
	}
	return m, nil
}

// bootstrapDialer dials the bootstrap addresses, in order, instead of
// resolving the DoH server's host name; the port is the URL's. Each address
// gets an equal share of the query timeout (as Go's dialer shares its time
// among a host's addresses), so one that never answers cannot starve the
// others. The share is passed in because http.Transport dials with a context
// that does not carry the request's deadline.
func bootstrapDialer(ips []netip.Addr, timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, ip := range ips {
			conn, err := dialShare(ctx, &d, network, net.JoinHostPort(ip.String(), port), timeout/time.Duration(len(ips)))
			if err == nil {
				return conn, nil
			}
			errs = append(errs, err)
		}
		return nil, fmt.Errorf("dialing bootstrap addresses: %w", errors.Join(errs...))
	}
}

// dialShare dials one address for at most share.
func dialShare(ctx context.Context, d *net.Dialer, network, addr string, share time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, share)
	defer cancel()
	return d.DialContext(ctx, network, addr)
}
