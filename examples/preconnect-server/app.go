package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/probe-net/probe/preconnect"
)

// app is the server's state: the pool its upstream requests go through and
// whether the upstreams are warm.
type app struct {
	log       *slog.Logger
	pool      *preconnect.Pool
	client    *http.Client
	upstreams []upstream

	mu     sync.Mutex
	warmed bool
	failed []string             // upstreams that could not be preconnected
	first  map[string]time.Time // upstreams already requested once
}

func newApp(o options, log *slog.Logger) (*app, error) {
	pool, err := preconnect.NewPool(o.config(), preconnect.PoolOptions{MaxIdle: o.maxIdle, Rewarm: o.rewarm})
	if err != nil {
		return nil, err
	}
	return &app{log: log, pool: pool, upstreams: o.upstreams, first: map[string]time.Time{},
		client: &http.Client{Transport: pool.Transport(), Timeout: 10 * time.Second}}, nil
}

// warm preconnects every upstream and logs what each connection cost.
func (a *app) warm(ctx context.Context) {
	targets := make([]preconnect.Target, len(a.upstreams))
	for i, u := range a.upstreams {
		targets[i] = u.target
	}
	var failed []string
	for _, r := range a.pool.Warm(ctx, targets...) {
		if r.Err != nil {
			failed = append(failed, r.Target.Name)
			a.log.Error("preconnect failed", "upstream", r.Target.Name, "err", r.Err)
			continue
		}
		a.log.Info("preconnected", "upstream", r.Target.Name, "address", r.Address.String(),
			"dns", r.DNS, "tcp", r.TCP, "tls", r.TLS, "alpn", alpn(r))
	}
	a.mu.Lock()
	a.warmed, a.failed = true, failed
	a.mu.Unlock()
}

func alpn(r preconnect.Result) string {
	if r.TLSInfo == nil {
		return ""
	}
	return r.TLSInfo.ALPN
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /{$}", a.callUpstreams)
	return mux
}

func (a *app) healthz(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	warmed, failed := a.warmed, a.failed
	a.mu.Unlock()
	switch {
	case !warmed:
		http.Error(w, "warming", http.StatusServiceUnavailable)
	case len(failed) > 0:
		http.Error(w, "not preconnected: "+strings.Join(failed, ", "), http.StatusServiceUnavailable)
	default:
		fmt.Fprintln(w, "ready")
	}
}

// callUpstreams requests every upstream and reports each outcome.
func (a *app) callUpstreams(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, u := range a.upstreams {
		fmt.Fprintln(w, a.call(r.Context(), u))
	}
}

// call sends one GET to u and describes it; the first request to each
// upstream is logged.
func (a *app) call(ctx context.Context, u upstream) string {
	var last atomic.Pointer[preconnect.DialInfo] // set on the Transport's dialling goroutine
	ctx = preconnect.WithTrace(ctx, &preconnect.Trace{Dial: func(d preconnect.DialInfo) { last.Store(&d) }})
	start := time.Now()
	status, err := a.get(ctx, u.url)
	took := time.Since(start)
	dial, conn := last.Load(), "reused"
	switch {
	case dial != nil && dial.Preconnected:
		conn = fmt.Sprintf("preconnected %s ago", dial.Age.Round(time.Millisecond))
	case dial != nil:
		conn = "new"
	}
	a.logFirst(u, took, conn, err)
	if err != nil {
		return fmt.Sprintf("%s: error after %s: %v", u.url, took, err)
	}
	return fmt.Sprintf("%s: %s in %s (connection %s)", u.url, status, took, conn)
}

func (a *app) get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Status, nil
}

func (a *app) logFirst(u upstream, took time.Duration, conn string, err error) {
	a.mu.Lock()
	_, seen := a.first[u.url]
	a.first[u.url] = time.Now()
	a.mu.Unlock()
	if !seen {
		a.log.Info("first upstream request", "upstream", u.url, "latency", took, "connection", conn, "err", err)
	}
}
