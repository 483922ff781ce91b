package exporter

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/probe-net/probe/internal/syncbuf"
)

type fixture struct {
	base     string
	client   *http.Client
	ready    atomic.Value // string
	reloads  atomic.Int32
	failNext atomic.Bool
	starting atomic.Bool // Reload and Probe return ErrUnavailable
	lastTO   atomic.Int64
}

func start(t *testing.T, webConfig string, client *http.Client, with ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{client: client}
	if f.client == nil {
		f.client = &http.Client{Timeout: 5 * time.Second}
	}
	f.ready.Store("not every target has been probed yet")
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "probe_test_value", Help: "a test gauge"})
	g.Set(42)
	reg.MustRegister(g)
	opts := Options{
		Gatherer:   reg,
		Registerer: reg,
		Ready:      func() string { return f.ready.Load().(string) },
		Reload: func(context.Context) error {
			if f.starting.Load() {
				return fmt.Errorf("%w: still starting", ErrUnavailable)
			}
			f.reloads.Add(1)
			if f.failNext.Load() {
				return errors.New("examples/x.hcl:3:1: Unknown phase")
			}
			return nil
		},
		Probe: func(_ context.Context, target string, timeout time.Duration) (prometheus.Gatherer, error) {
			if f.starting.Load() {
				return nil, fmt.Errorf("%w: still starting", ErrUnavailable)
			}
			if target != "web" {
				return nil, fmt.Errorf("%w %q", ErrUnknownTarget, target)
			}
			f.lastTO.Store(int64(timeout))
			r := prometheus.NewRegistry()
			s := prometheus.NewGauge(prometheus.GaugeOpts{Name: "probe_success", Help: "x"})
			s.Set(1)
			r.MustRegister(s)
			return r, nil
		},
		TimeoutOffset: func() time.Duration { return 500 * time.Millisecond },
		Version:       "1.2.3",
	}
	for _, w := range with {
		w(&opts)
	}
	h, err := Handler(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "http"
	if webConfig != "" {
		scheme = "https"
	}
	f.base = scheme + "://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, []net.Listener{ln}, h, webConfig, time.Second, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return f
}

func (f *fixture) do(t *testing.T, method, path string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	f := start(t, "", nil)
	check := func(method, path string, wantCode int, wantBody string) {
		t.Helper()
		code, body := f.do(t, method, path, nil)
		if code != wantCode || !strings.Contains(body, wantBody) {
			t.Errorf("%s %s = %d %q, want %d containing %q", method, path, code, body, wantCode, wantBody)
		}
	}
	check("GET", "/metrics", 200, "probe_test_value 42")
	check("GET", "/metrics", 200, "promhttp_metric_handler_requests_total")
	check("GET", "/-/healthy", 200, "Healthy")
	check("GET", "/-/ready", 503, "Not ready: not every target has been probed yet")
	f.ready.Store("")
	check("GET", "/-/ready", 200, "Ready")
	check("GET", "/", 200, `href="/metrics"`)
	check("GET", "/nothing-here", 404, "")

	check("GET", "/-/reload", 405, "use POST")
	check("POST", "/-/reload", 200, "Reloaded")
	f.failNext.Store(true)
	check("POST", "/-/reload", 500, "failed to reload config: examples/x.hcl:3:1: Unknown phase")
	if n := f.reloads.Load(); n != 2 {
		t.Errorf("Reload called %d times, want 2 (GET must not reload)", n)
	}

	check("GET", "/probe", 400, "the target parameter is missing")
	check("GET", "/probe?target=nope", 400, `unknown target "nope"`)
	check("GET", "/probe?target=web", 200, "probe_success 1")
	f.starting.Store(true)
	check("POST", "/-/reload", 503, "failed to reload config: unavailable: still starting")
	check("GET", "/probe?target=web", 503, "unavailable: still starting")
	f.starting.Store(false)
	if to := time.Duration(f.lastTO.Load()); to != 0 {
		t.Errorf("without the scrape-timeout header the timeout is %v, want 0 (the target's own)", to)
	}
}

// TestPprofOnlyWhenAsked: /debug/pprof/ is absent by default, and with
// Options.Pprof serves a heap profile (gzipped protobuf, as `go tool pprof`
// reads) and the landing page links the index.
func TestPprofOnlyWhenAsked(t *testing.T) {
	off := start(t, "", nil)
	if code, _ := off.do(t, "GET", "/debug/pprof/heap", nil); code != 404 {
		t.Errorf("without Pprof, /debug/pprof/heap = %d, want 404", code)
	}
	if _, body := off.do(t, "GET", "/", nil); strings.Contains(body, "debug/pprof") {
		t.Error("without Pprof, the landing page links /debug/pprof")
	}
	on := start(t, "", nil, func(o *Options) { o.Pprof = true })
	code, body := on.do(t, "GET", "/debug/pprof/heap", nil)
	if code != 200 || !strings.HasPrefix(body, "\x1f\x8b") {
		t.Errorf("with Pprof, /debug/pprof/heap = %d, %d bytes; want 200 and a gzipped profile", code, len(body))
	}
	if _, body := on.do(t, "GET", "/", nil); !strings.Contains(body, `href="/debug/pprof/"`) || strings.Contains(body, "pprof.me") {
		t.Error("with Pprof, the landing page does not link /debug/pprof/, or links a third-party upload site")
	}
}

func TestProbeTimeoutFromPrometheusHeader(t *testing.T) {
	f := start(t, "", nil)
	code, body := f.do(t, "GET", "/probe?target=web", http.Header{ScrapeTimeoutHeader: {"2.5"}})
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if to := time.Duration(f.lastTO.Load()); to != 2*time.Second {
		t.Errorf("timeout %v, want 2s (2.5s scrape timeout minus 0.5s offset)", to)
	}
	// Any float Prometheus may send; one too long for a time.Duration
	// leaves the target's own timeout, which is shorter anyway.
	for header, want := range map[string]time.Duration{
		"15": 14500 * time.Millisecond, "9.5e-1": 450 * time.Millisecond, "1e7": 1e7*time.Second - 500*time.Millisecond,
		"+Inf": 0, "1e300": 0,
	} {
		code, body := f.do(t, "GET", "/probe?target=web", http.Header{ScrapeTimeoutHeader: {header}})
		if code != 200 {
			t.Errorf("header %q: %d %q, want 200", header, code, body)
			continue
		}
		if to := time.Duration(f.lastTO.Load()); to != want {
			t.Errorf("header %q: timeout %v, want %v", header, to, want)
		}
	}
	for _, bad := range []string{"0.4", "0", "soon", "-1", "-Inf", "NaN", ""} {
		h := http.Header{ScrapeTimeoutHeader: {bad}}
		code, body := f.do(t, "GET", "/probe?target=web", h)
		if bad == "" {
			if code != 200 {
				t.Errorf("empty header: %d %q, want 200 (as no header)", code, body)
			}
			continue
		}
		if code != 400 || !strings.Contains(body, ScrapeTimeoutHeader) {
			t.Errorf("header %q: %d %q, want 400 naming the header", bad, code, body)
		}
	}
}

// TestWebConfigTLSAndBasicAuth: --web.config.file works as in every
// official exporter (exporter-toolkit's format).
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	pool := writeCert(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	body := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prom: %s\n",
		filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), hash)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ValidateWebConfig(cfg); err != nil {
		t.Fatalf("ValidateWebConfig: %v", err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	f := start(t, cfg, client)
	if code, _ := f.do(t, "GET", "/metrics", nil); code != http.StatusUnauthorized {
		t.Errorf("without credentials: %d, want 401", code)
	}
	auth := http.Header{"Authorization": {"Basic cHJvbTpzM2NyZXQ="}} // prom:s3cret
	if code, body := f.do(t, "GET", "/metrics", auth); code != 200 || !strings.Contains(body, "probe_test_value 42") {
		t.Errorf("with credentials over TLS: %d %q", code, body)
	}
}

// TestServerErrorsGoToTheLog: net/http's own errors (here a plain-HTTP
// request on a TLS port) reach the logger in its format, not stderr raw.
func TestServerErrorsGoToTheLog(t *testing.T) {
	dir := t.TempDir()
	writeCert(t, dir)
	cfg := filepath.Join(dir, "web.yml")
	body := fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\n", filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, []net.Listener{ln}, http.NotFoundHandler(), cfg, time.Second, logger) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	}()
	c := &http.Client{Timeout: 5 * time.Second}
	if resp, err := c.Get("http://" + ln.Addr().String() + "/metrics"); err == nil {
		resp.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "TLS handshake error") {
		if time.Now().After(deadline) {
			t.Fatalf("no TLS handshake error in the log within 5s; log:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("the handshake error is not a WARN entry of the JSON log:\n%s", logs.String())
	}
}

func TestValidateWebConfigRejectsMissingCert(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "web.yml")
	os.WriteFile(cfg, []byte("tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n"), 0o600)
	if err := ValidateWebConfig(cfg); err == nil {
		t.Error("a web config naming missing files validated")
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probe serve test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
