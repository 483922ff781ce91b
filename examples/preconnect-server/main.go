// Command preconnect-server is a small HTTP server that preconnects its
// upstreams when it starts, as the preconnect guide recommends: it
// establishes DNS, TCP and TLS to each upstream through a preconnect.Pool
// before any request needs them, reports ready on /healthz once they are
// warm, and logs how long its first request to each upstream took and
// whether it ran on a preconnected connection.
//
//	preconnect-server --listen 127.0.0.1:8080 \
//	    --upstream https://api.internal:8443/ --dns-server 10.0.0.53 --ca-file ca.pem
//
// Routes:
//
//	/healthz   503 "warming" until every upstream is preconnected, then 200
//	           "ready"; 503 naming the upstreams that failed
//	/          GET each upstream URL, answer one line per upstream: its
//	           status, latency and whether the connection was preconnected
//
// Upstreams also come from PRECONNECT_HOSTS (http and https entries, as
// "host:port:proto"; their URL is "/"). SIGINT or SIGTERM stops the server:
// it finishes the requests in flight (at most 5 s) and closes the pool.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "preconnect-server:", err)
		os.Exit(2)
	}
}

// run parses args, listens and serves until ctx is done.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	opts, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return err
	}
	return serve(ctx, opts, ln, slog.New(slog.NewTextHandler(stderr, nil)))
}

// serve runs the server on ln until ctx is done, then shuts it down.
func serve(ctx context.Context, opts options, ln net.Listener, log *slog.Logger) error {
	a, err := newApp(opts, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.pool.Close()
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "upstreams", len(a.upstreams))
	warmed := make(chan struct{})
	go func() { defer close(warmed); a.warm(ctx) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	<-warmed
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("requests still running after 5s: %w", err)
	}
	return err
}
