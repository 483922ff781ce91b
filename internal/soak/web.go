//go:build linux

package soak

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// webServer is an http.Server on 127.0.0.1, with TLS when given a
// certificate, answering 200 to everything.
type webServer struct {
	ln       net.Listener
	srv      *http.Server
	accepted atomic.Int64
	done     chan struct{}
}

func startWeb(cert *tls.Certificate) (*webServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w := &webServer{done: make(chan struct{})}
	w.ln = &countingListener{Listener: ln, n: &w.accepted}
	w.srv = &http.Server{
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
			rw.Header().Set("Server", "probe-soak")
			rw.WriteHeader(http.StatusOK)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       holdLimit,
		ErrorLog:          discardLog,
	}
	serving := w.ln
	if cert != nil {
		serving = tls.NewListener(w.ln, &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"http/1.1"}})
	}
	go func() {
		defer close(w.done)
		_ = w.srv.Serve(serving) // http.ErrServerClosed after close
	}()
	return w, nil
}

func (w *webServer) addr() string { return w.ln.Addr().String() }

// close closes the listener and every connection, and waits for Serve.
func (w *webServer) close() error {
	err := w.srv.Close()
	<-w.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// discardLog swallows http.Server's complaints: every TLS handshake a
// client aborts on the expired certificate would be one.
var discardLog = log.New(io.Discard, "", 0)

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}
