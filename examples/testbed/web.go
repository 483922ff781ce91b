package testbed

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ServerHeader is the Server header every testbed web response carries.
const ServerHeader = "probe-testbed"

// maxSlow bounds /slow?ms=N. A variable only so that a test can lower it.
var maxSlow = 5 * time.Second

// handshakeTimeout bounds a TLS handshake on the https server.
const handshakeTimeout = 5 * time.Second

// webHandler answers the testbed's HTTP routes and records each request:
//
//	/redirect     301 to /
//	/status/NNN   answers NNN (200-599)
//	/slow?ms=N    waits N ms (at most 5000) before answering 200
//	/dns-query    DNS over HTTPS, when doh is set (the https server)
//	anything else 200
//
// Only HEAD and GET are allowed, and POST for DoH.
type webHandler struct {
	server   string
	counters *counters
	doh      http.Handler // serves DoHPath; nil: no DoH
}

func (h *webHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.counters.addRequest(h.server, requestOf(r))
	w.Header().Set("Server", ServerHeader)
	if h.doh != nil && r.URL.Path == DoHPath {
		h.doh.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodHead && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "only GET and HEAD are allowed", http.StatusMethodNotAllowed)
		return
	}
	switch path := r.URL.Path; {
	case path == "/redirect":
		http.Redirect(w, r, "/", http.StatusMovedPermanently)
	case strings.HasPrefix(path, "/status/"):
		serveStatus(w, strings.TrimPrefix(path, "/status/"))
	case path == "/slow":
		serveSlow(w, r)
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	}
}

func requestOf(r *http.Request) Request {
	req := Request{Method: r.Method, Path: r.URL.Path, Host: r.Host, RemoteAddr: r.RemoteAddr}
	if r.TLS != nil {
		req.TLS, req.TLSVersion = true, r.TLS.Version
	}
	return req
}

func serveStatus(w http.ResponseWriter, code string) {
	n, err := strconv.Atoi(code)
	if err != nil || n < 200 || n > 599 {
		http.Error(w, fmt.Sprintf("status %q is not a number from 200 to 599", code), http.StatusBadRequest)
		return
	}
	w.WriteHeader(n)
}

func serveSlow(w http.ResponseWriter, r *http.Request) {
	ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
	if err != nil || ms < 0 {
		http.Error(w, "ms must be a number of milliseconds", http.StatusBadRequest)
		return
	}
	delay := min(time.Duration(ms)*time.Millisecond, maxSlow)
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done(): // the client went away
	}
}

// newWebServer returns an http.Server with timeouts that keep a stuck
// client from holding it forever.
func newWebServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      maxSlow + 5*time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// handshakingListener performs the TLS handshake of each accepted
// connection itself, counts the ones that complete, and hands only those
// to the HTTP server (whose own Handshake call is then a no-op). Counting
// here is exact: the count rises when the server has verified the client's
// Finished message, and never for a handshake that failed.
type handshakingListener struct {
	raw      net.Listener
	config   *tls.Config
	counters *counters
	conns    chan *tls.Conn
	ctx      context.Context // canceled by Close: aborts handshakes in flight
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	closing  sync.Once
}

func newHandshakingListener(raw net.Listener, cfg *tls.Config, c *counters) *handshakingListener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &handshakingListener{raw: raw, config: cfg, counters: c, conns: make(chan *tls.Conn), ctx: ctx, cancel: cancel}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

func (l *handshakingListener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.raw.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // transient (EMFILE and the like)
		}
		l.wg.Add(1)
		go l.handshake(c)
	}
}

func (l *handshakingListener) handshake(c net.Conn) {
	defer l.wg.Done()
	tc := tls.Server(c, l.config)
	ctx, cancel := context.WithTimeout(l.ctx, handshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		return
	}
	l.counters.addHandshake()
	select {
	case l.conns <- tc:
	case <-l.ctx.Done():
		tc.Close()
	}
}

func (l *handshakingListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

func (l *handshakingListener) Close() error {
	var err error
	l.closing.Do(func() {
		l.cancel()
		err = l.raw.Close()
		l.wg.Wait()
	})
	return err
}

func (l *handshakingListener) Addr() net.Addr { return l.raw.Addr() }
