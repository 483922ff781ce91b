package testbed

import (
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"time"

	"github.com/miekg/dns"
)

// DNSServerName is the name the DoT and DoH servers' certificate covers
// (with 127.0.0.1), and the host of DoHURL. Nothing resolves it: a DoH
// client reaches it through a bootstrap address, 127.0.0.1.
const DNSServerName = "dns.probe.test"

// DoHPath is where the https server answers DNS over HTTPS.
const DoHPath = "/dns-query"

// dohMediaType is the RFC 8484 message format.
const dohMediaType = "application/dns-message"

// dotServer answers DNS over TLS (RFC 7858) on its own port.
type dotServer struct {
	addr string
	ln   net.Listener
	srv  *dns.Server
}

// startDoT starts DNS over TLS on a free 127.0.0.1 port, with the
// certificate leaf (signed by the testbed CA).
func startDoT(h dns.Handler, leaf tls.Certificate, c *counters) (*dotServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the DoT server: %w", err)
	}
	counted := &countingListener{Listener: ln, server: ServerDoT, counters: c}
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}
	s := &dotServer{
		addr: ln.Addr().String(),
		ln:   ln,
		// ReadTimeout bounds the handshake too: it happens on the first read.
		srv: &dns.Server{Net: "tcp-tls", Listener: tls.NewListener(counted, cfg), Handler: h, ReadTimeout: 5 * time.Second},
	}
	if err := activate(s.srv); err != nil {
		s.close()
		return nil, fmt.Errorf("starting the DoT server: %w", err)
	}
	return s, nil
}

func (s *dotServer) close() error {
	err := shutdown(s.srv)
	s.ln.Close() // in case it never started
	return err
}

// dohHandler answers RFC 8484 POST requests (application/dns-message) from
// the zone. GET with ?dns= is not supported.
type dohHandler struct {
	dns *dnsHandler
}

func (h *dohHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "DoH here takes POST only", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != dohMediaType {
		http.Error(w, "content type must be "+dohMediaType, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, dns.MaxMsgSize+1))
	switch {
	case err != nil:
		http.Error(w, "reading the query: "+err.Error(), http.StatusBadRequest)
		return
	case len(body) > dns.MaxMsgSize:
		http.Error(w, "the query is too large", http.StatusRequestEntityTooLarge)
		return
	}
	req := new(dns.Msg)
	if err := req.Unpack(body); err != nil {
		http.Error(w, "the body is not a DNS message: "+err.Error(), http.StatusBadRequest)
		return
	}
	packed, err := h.dns.reply(req, NetHTTPS).Pack()
	if err != nil {
		http.Error(w, "packing the answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", dohMediaType)
	_, _ = w.Write(packed)
}
