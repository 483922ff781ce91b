//go:build linux

package tlsphase

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

const host = "www.probe.test"

// fixture is a CA, a server certificate for host and 127.0.0.1 issued by
// it, and the CA written to a file for ca_file.
type fixture struct {
	ca     *testCA
	caFile string
	leaf   tls.Certificate
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ca := newCA(t, "Probe Test CA")
	leaf := ca.issue(t, leafSpec{cn: host, dnsNames: []string{host}, ips: []string{"127.0.0.1"}})
	return &fixture{ca: ca, caFile: ca.writeFile(t), leaf: leaf}
}

// server starts a TLS echo server presenting cert.
func (f *fixture) server(t *testing.T, cert tls.Certificate, tweak func(*tls.Config)) *tlsServer {
	t.Helper()
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	if tweak != nil {
		tweak(cfg)
	}
	return startServer(t, cfg)
}

// harness serves a fresh phase with configJSON; %s in it is the CA file.
func (f *fixture) harness(t *testing.T, configJSON string) *sdktest.Harness {
	t.Helper()
	h := sdktest.New(t, New())
	cfg := configJSON
	if strings.Contains(cfg, "%s") {
		cfg = fmt.Sprintf(configJSON, jsonString(f.caFile))
	}
	if problems := h.Configure(t, cfg); len(problems) > 0 {
		t.Fatalf("configure %s: %v", cfg, problems)
	}
	return h
}

func jsonString(s string) string { return fmt.Sprintf("%q", s) }

// handshakeOK runs the phase and expects a session, closed at the end.
func handshakeOK(t *testing.T, h *sdktest.Harness, req *sdk.Request) *sdk.Result {
	t.Helper()
	res, err := h.Run(testCtx(t), req)
	if err != nil {
		t.Fatalf("run: %v (kind %q)", err, sdktest.Kind(err))
	}
	if res.Conn == nil {
		t.Fatal("no session handed on")
	}
	t.Cleanup(func() { res.Conn.Close() })
	if res.Duration <= 0 {
		t.Errorf("duration = %v, want > 0", res.Duration)
	}
	return res
}

// handshakeFails runs the phase and expects an error of kind with msg.
func handshakeFails(t *testing.T, h *sdktest.Harness, req *sdk.Request, kind sdk.ErrorKind, msg string) *sdk.Result {
	t.Helper()
	res, err := h.Run(testCtx(t), req)
	if err == nil {
		res.Conn.Close()
		t.Fatalf("run succeeded (%v), want a %s error", res.Attributes, kind)
	}
	if sdktest.Kind(err) != kind || err.Error() != msg {
		t.Fatalf("error = %q (kind %q)\nwant    %q (kind %q)", err, sdktest.Kind(err), msg, kind)
	}
	if res.Conn != nil {
		t.Error("a failed run handed on a connection")
	}
	return res
}

func wantAttrs(t *testing.T, got, want sdk.Attributes) {
	t.Helper()
	for k, v := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(v) || fmt.Sprintf("%T", got[k]) != fmt.Sprintf("%T", v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestHandshakeAndSessionAcrossTheBridge(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.leaf, nil)
	res := handshakeOK(t, f.harness(t, `{"ca_file": %s}`), srv.request(t, host))
	seen := srv.next(t)
	if seen.err != nil {
		t.Fatalf("server handshake: %v", seen.err)
	}
	wantAttrs(t, res.Attributes, sdk.Attributes{
		"tls.version":        "TLS 1.3",
		"tls.cipher":         tls.CipherSuiteName(seen.state.CipherSuite),
		"tls.curve":          seen.state.CurveID.String(),
		"tls.alpn":           "http/1.1",
		"tls.resumed":        false,
		"tls.server_name":    host,
		"tls.peer.subject":   "CN=" + host,
		"tls.peer.issuer":    "CN=Probe Test CA",
		"tls.peer.sans":      []string{host, "127.0.0.1"},
		"tls.peer.not_after": f.leaf.Leaf.NotAfter.UTC().Format(time.RFC3339),
		"tls.peer.days_left": int64(9), // issued for 10 days from now, minus a moment
		"tls.peer.expired":   false,
		// The CA expires in a day, before the leaf: it is the chain's first.
		"tls.chain.subject":   "CN=Probe Test CA",
		"tls.chain.not_after": f.ca.cert.NotAfter.UTC().Format(time.RFC3339),
		"tls.chain.days_left": int64(0),
	})
	if _, ok := res.Attributes["tls.insecure"]; ok {
		t.Error("tls.insecure reported while verifying")
	}
	if seen.sni != host {
		t.Errorf("server got SNI %q, want %q", seen.sni, host)
	}
	echo(t, res.Conn, "hello through the bridge\n")
}

func TestIPLiteralSendsNoSNIAndVerifiesTheIPSAN(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.leaf, nil)
	res := handshakeOK(t, f.harness(t, `{"ca_file": %s}`), srv.request(t, "127.0.0.1"))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tls.server_name": "127.0.0.1"})
	if seen := srv.next(t); seen.sni != "" {
		t.Errorf("server got SNI %q for an IP literal target", seen.sni)
	}
	echo(t, res.Conn, "ip")
}

func TestServerNameOverridesTheHost(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.leaf, nil)
	res := handshakeOK(t, f.harness(t, `{"ca_file": %s, "server_name": "www.probe.test"}`), srv.request(t, "127.0.0.1"))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tls.server_name": host})
	if seen := srv.next(t); seen.sni != host {
		t.Errorf("server got SNI %q, want %q", seen.sni, host)
	}
}

// SNI carries the A-label of an internationalised name, whether it comes
// from server_name or from the target's host.
func TestInternationalisedNamesAreSentAsALabels(t *testing.T) {
	const aLabel = "xn--bcher-kva.probe.test"
	ca := newCA(t, "Probe Test CA")
	leaf := ca.issue(t, leafSpec{cn: aLabel, dnsNames: []string{aLabel}})
	f := &fixture{ca: ca, caFile: ca.writeFile(t), leaf: leaf}
	srv := f.server(t, leaf, nil)
	for _, tc := range []struct{ config, host string }{
		{`{"ca_file": %s, "server_name": "Bücher.probe.test"}`, "127.0.0.1"},
		{`{"ca_file": %s}`, "bücher.probe.test"},
	} {
		res := handshakeOK(t, f.harness(t, tc.config), srv.request(t, tc.host))
		wantAttrs(t, res.Attributes, sdk.Attributes{"tls.server_name": aLabel})
		if seen := srv.next(t); seen.sni != aLabel {
			t.Errorf("%s: server got SNI %q, want %q", tc.config, seen.sni, aLabel)
		}
	}
}

func TestCertificateProblems(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	expired := f.ca.issue(t, leafSpec{cn: host, dnsNames: []string{host}, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-36 * time.Hour)})
	notYet := f.ca.issue(t, leafSpec{cn: host, dnsNames: []string{host}, notBefore: now.Add(36 * time.Hour), notAfter: now.Add(72 * time.Hour)})
	wrongName := f.ca.issue(t, leafSpec{cn: "other.probe.test", dnsNames: []string{"other.probe.test", "alt.probe.test"}})
	stranger := newCA(t, "Stranger CA").issue(t, leafSpec{cn: host, dnsNames: []string{host}})
	rfc := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
	tests := []struct {
		name     string
		cert     tls.Certificate
		msg      string
		daysLeft int64
	}{
		{"expired", expired, fmt.Sprintf(`certificate expired: "CN=%s" expired at %s`, host, rfc(expired.Leaf.NotAfter)), -1},
		{"not yet valid", notYet, fmt.Sprintf(`certificate not yet valid: "CN=%s" is valid from %s`, host, rfc(notYet.Leaf.NotBefore)), 2},
		{"name mismatch", wrongName, fmt.Sprintf(`certificate name mismatch: "CN=other.probe.test" is valid for other.probe.test, alt.probe.test, not %s`, host), 9},
		{"unknown authority", stranger, fmt.Sprintf(`certificate signed by unknown authority: "CN=%s" is issued by CN=Stranger CA, which is not trusted`, host), 9},
	}
	h := f.harness(t, `{"ca_file": %s}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := f.server(t, tt.cert, nil)
			res := handshakeFails(t, h, srv.request(t, host), sdk.KindCertificate, tt.msg)
			// The rejected certificate is still described.
			wantAttrs(t, res.Attributes, sdk.Attributes{
				"tls.peer.subject":   tt.cert.Leaf.Subject.String(),
				"tls.peer.not_after": rfc(tt.cert.Leaf.NotAfter),
				"tls.peer.days_left": tt.daysLeft,
				"tls.server_name":    host,
			})
			if res.Duration <= 0 {
				t.Errorf("duration = %v, want > 0", res.Duration)
			}
		})
	}
}

func TestDefaultRootsRejectATestCA(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.leaf, nil)
	handshakeFails(t, f.harness(t, `{}`), srv.request(t, host), sdk.KindCertificate,
		fmt.Sprintf(`certificate signed by unknown authority: "CN=%s" is issued by CN=Probe Test CA, which is not trusted`, host))
}

func TestInsecureSkipVerifyIsReported(t *testing.T) {
	f := newFixture(t)
	expired := f.ca.issue(t, leafSpec{cn: host, dnsNames: []string{host}, notAfter: time.Now().Add(-time.Hour), notBefore: time.Now().Add(-2 * time.Hour)})
	srv := f.server(t, expired, nil)
	res := handshakeOK(t, f.harness(t, `{"insecure_skip_verify": true}`), srv.request(t, "wrong.name.test"))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tls.insecure": true, "tls.peer.days_left": int64(0), "tls.peer.expired": true})
	echo(t, res.Conn, "insecure")
}

func TestSessionResumption(t *testing.T) {
	for _, version := range []string{"1.2", "1.3"} {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t)
			srv := f.server(t, f.leaf, nil)
			h := f.harness(t, `{"ca_file": %s, "session_cache": true, "max_version": "`+version+`"}`)
			cold := handshakeOK(t, h, srv.request(t, host))
			wantAttrs(t, cold.Attributes, sdk.Attributes{"tls.version": "TLS " + version, "tls.resumed": false})
			// A TLS 1.3 ticket comes after the handshake; the bridge's pump
			// processes it before the echo that follows it.
			echo(t, cold.Conn, "cold")
			warm := handshakeOK(t, h, srv.request(t, host))
			wantAttrs(t, warm.Attributes, sdk.Attributes{"tls.version": "TLS " + version, "tls.resumed": true, "tls.peer.subject": "CN=" + host})
			echo(t, warm.Conn, "warm")
			srv.next(t)
			if seen := srv.next(t); !seen.state.DidResume {
				t.Error("the server did not see a resumed session")
			}
		})
	}
}

func TestNoSessionCacheByDefault(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.leaf, nil)
	h := f.harness(t, `{"ca_file": %s, "max_version": "1.2"}`)
	echo(t, handshakeOK(t, h, srv.request(t, host)).Conn, "one")
	again := handshakeOK(t, h, srv.request(t, host))
	wantAttrs(t, again.Attributes, sdk.Attributes{"tls.resumed": false})
}

func TestClientCertificate(t *testing.T) {
	f := newFixture(t)
	requireClientCert := func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = f.ca.pool()
	}
	srv := f.server(t, f.leaf, requireClientCert)
	certFile, keyFile := writeKeyPair(t, f.ca.issue(t, leafSpec{cn: "probe-client", client: true}))
	res := handshakeOK(t, f.harness(t, `{"ca_file": %s, "client_cert": `+jsonString(certFile)+`, "client_key": `+jsonString(keyFile)+`}`), srv.request(t, host))
	echo(t, res.Conn, "authenticated")
	if seen := srv.next(t); seen.clientCN != "probe-client" {
		t.Errorf("server saw client certificate %q, want probe-client", seen.clientCN)
	}

	// Without one the server refuses. With TLS 1.3 the client finishes its
	// side of the handshake before the server's alert arrives, so the
	// refusal is only seen on TLS 1.2 here.
	handshakeFails(t, f.harness(t, `{"ca_file": %s, "max_version": "1.2"}`), srv.request(t, host), sdk.KindTLS,
		"handshake failed: server sent alert: handshake failure")
}

func TestALPN(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.leaf, nil) // offers h2 and http/1.1
	tests := []struct {
		config string
		want   any // nil: not reported
	}{
		{`{"ca_file": %s}`, "http/1.1"},
		{`{"ca_file": %s, "alpn": ["h2", "http/1.1"]}`, "h2"},
		{`{"ca_file": %s, "alpn": []}`, nil},
	}
	for _, tt := range tests {
		res := handshakeOK(t, f.harness(t, tt.config), srv.request(t, host))
		if got, ok := res.Attributes["tls.alpn"]; ok != (tt.want != nil) || (ok && got != tt.want) {
			t.Errorf("config %s: tls.alpn = %v (reported %v), want %v", tt.config, got, ok, tt.want)
		}
	}

	h2only := f.server(t, f.leaf, func(c *tls.Config) { c.NextProtos = []string{"h2"} })
	// (Go servers let a client offering http/1.1 in, as if it spoke no ALPN.)
	handshakeFails(t, f.harness(t, `{"ca_file": %s, "alpn": ["imap"]}`), h2only.request(t, host), sdk.KindTLS,
		"handshake failed: server sent alert: no application protocol")
}

func TestVersionBounds(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, f.leaf, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })
	res := handshakeOK(t, f.harness(t, `{"ca_file": %s}`), srv.request(t, host))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tls.version": "TLS 1.2"})
	if _, ok := res.Attributes["tls.curve"]; !ok {
		t.Error("tls.curve missing for an ECDHE handshake")
	}
	handshakeFails(t, f.harness(t, `{"ca_file": %s, "min_version": "1.3"}`), srv.request(t, host), sdk.KindTLS,
		"handshake failed: server sent alert: protocol version not supported")
}

func TestNotTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			fmt.Fprint(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
			c.Close()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	handshakeFails(t, (*fixture)(nil).harness(t, `{}`), dialRequest(t, addr, host), sdk.KindTLS,
		"handshake failed: tls: first record does not look like a TLS handshake")
}

// A server that accepts but never answers: the handshake runs into the
// probe's deadline. Run is called directly, since through the RPC layer the
// caller's own deadline would race the phase's reply.
func TestHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	req := dialRequest(t, ln.Addr().(*net.TCPAddr).AddrPort(), host)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := New().Run(ctx, req)
	if sdk.Classify(err) != sdk.KindTimeout || err.Error() != "handshake timed out" {
		t.Fatalf("error = %v (kind %q), want a timeout", err, sdk.Classify(err))
	}
	if res == nil || res.Conn != nil || res.Duration <= 0 {
		t.Fatalf("result = %+v", res)
	}
}

func TestBadInput(t *testing.T) {
	h := (*fixture)(nil).harness(t, `{}`)
	_, err := h.Run(testCtx(t), &sdk.Request{Target: sdk.Target{Host: host, Port: 443}})
	if sdktest.Kind(err) != sdk.KindInput || err.Error() != "no connection to handshake on: a tcp phase must run before tls" {
		t.Errorf("without a connection: %v (kind %q)", err, sdktest.Kind(err))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = h.Run(testCtx(t), dialRequest(t, ln.Addr().(*net.TCPAddr).AddrPort(), ""))
	if sdktest.Kind(err) != sdk.KindInput || err.Error() != "no name to verify the certificate against: the target has no host and server_name is not set" {
		t.Errorf("without a host: %v (kind %q)", err, sdktest.Kind(err))
	}
}

func TestBadConfig(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := writeKeyPair(t, f.leaf)
	_, otherKey := writeKeyPair(t, f.ca.issue(t, leafSpec{cn: "other", client: true}))
	q := jsonString
	tests := []struct {
		config string
		want   []string // "attribute: message"
	}{
		{`{"min_version": "1.4"}`, []string{`min_version: must be one of "1.0", "1.1", "1.2", "1.3", got "1.4"`}},
		{`{"max_version": "TLS1.3"}`, []string{`max_version: must be one of "1.0", "1.1", "1.2", "1.3", got "TLS1.3"`}},
		{`{"min_version": "1.3", "max_version": "1.2"}`, []string{`max_version: "1.2" is below min_version "1.3"`}},
		{`{"max_version": "1.1"}`, []string{`max_version: "1.1" is below min_version "1.2" (the default)`}},
		{`{"ca_file": ` + q(missing) + `}`, []string{fmt.Sprintf(`ca_file: cannot read %q: no such file or directory`, missing)}},
		{`{"ca_file": ` + q(notPEM) + `}`, []string{fmt.Sprintf(`ca_file: no PEM certificates in %q`, notPEM)}},
		{`{"client_cert": ` + q(certFile) + `}`, []string{`client_key: must be set when client_cert is set`}},
		{`{"client_key": ` + q(keyFile) + `}`, []string{`client_cert: must be set when client_key is set`}},
		{`{"client_cert": ` + q(certFile) + `, "client_key": ` + q(missing) + `}`, []string{fmt.Sprintf(`client_key: cannot read %q: no such file or directory`, missing)}},
		{`{"client_cert": ` + q(certFile) + `, "client_key": ` + q(otherKey) + `}`, []string{`client_cert: cannot be used with client_key: tls: private key does not match public key`}},
		{`{"alpn": ["h2", ""]}`, []string{`alpn[1]: must not be empty`}},
		{`{"server_name": ""}`, []string{`server_name: must not be empty (leave it out to use the target's host)`}},
		{`{"server_name": " ", "min_version": "2", "ca_file": ` + q(missing) + `}`, []string{
			`server_name: must not be empty (leave it out to use the target's host)`,
			`min_version: must be one of "1.0", "1.1", "1.2", "1.3", got "2"`,
			fmt.Sprintf(`ca_file: cannot read %q: no such file or directory`, missing),
		}},
	}
	h := sdktest.New(t, New())
	for _, tt := range tests {
		var got []string
		for _, p := range h.Configure(t, tt.config) {
			got = append(got, p.Error())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("config %s:\n got %q\nwant %q", tt.config, got, tt.want)
		}
	}
	valid := `{"server_name": "x.test", "alpn": ["h2"], "min_version": "1.0", "max_version": "1.3", "ca_file": ` + q(f.caFile) +
		`, "client_cert": ` + q(certFile) + `, "client_key": ` + q(keyFile) + `, "insecure_skip_verify": false, "session_cache": true}`
	if problems := h.Configure(t, valid); problems != nil {
		t.Errorf("valid config rejected: %v", problems)
	}
}

func TestDescribe(t *testing.T) {
	d := sdktest.New(t, New()).Describe(t)
	if d.Name != Name || d.Version != Version || d.Summary == "" {
		t.Errorf("description = %+v", d)
	}
	var names []string
	for _, a := range d.Schema {
		names = append(names, a.Name+":"+a.Type.String())
	}
	want := []string{"server_name:string", "alpn:list(string)", "min_version:string", "max_version:string", "ca_file:string",
		"client_cert:string", "client_key:string", "insecure_skip_verify:bool", "session_cache:bool"}
	if !slices.Equal(names, want) {
		t.Errorf("config attributes = %v, want %v", names, want)
	}
}

func TestConcurrentRuns(t *testing.T) {
	const n = 6
	f := newFixture(t)
	srv := f.server(t, f.leaf, nil)
	h := f.harness(t, `{"ca_file": %s, "session_cache": true}`)
	reqs := make([]*sdk.Request, n)
	for i := range reqs {
		reqs[i] = srv.request(t, host)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, req := range reqs {
		wg.Go(func() {
			res, err := h.Run(testCtx(t), req)
			if err != nil {
				errs <- err
				return
			}
			defer res.Conn.Close()
			msg := fmt.Sprintf("run %d", i)
			_ = res.Conn.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, len(msg))
			if _, err := io.WriteString(res.Conn, msg); err != nil {
				errs <- err
			} else if _, err := io.ReadFull(res.Conn, buf); err != nil || string(buf) != msg {
				errs <- fmt.Errorf("echo %q: %q, %v", msg, buf, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestResetDuringHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		buf := make([]byte, 1)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Read(buf) // the ClientHello has arrived
		_ = c.(*net.TCPConn).SetLinger(0)
		c.Close() // RST
	}()
	handshakeFails(t, (*fixture)(nil).harness(t, `{}`), dialRequest(t, ln.Addr().(*net.TCPAddr).AddrPort(), host), sdk.KindTLS,
		"handshake failed: read: connection reset by peer")
}

// Two servers with the same name on different ports: each keeps its own
// session, so probing them in turn still resumes both.
func TestSessionsAreCachedPerHostAndPort(t *testing.T) {
	f := newFixture(t)
	a := f.server(t, f.leaf, nil)
	b := f.server(t, f.leaf, nil)
	h := f.harness(t, `{"ca_file": %s, "session_cache": true, "max_version": "1.2"}`)
	echo(t, handshakeOK(t, h, a.request(t, host)).Conn, "cold a")
	echo(t, handshakeOK(t, h, b.request(t, host)).Conn, "cold b")
	warmA := handshakeOK(t, h, a.request(t, host))
	echo(t, warmA.Conn, "warm a")
	warmB := handshakeOK(t, h, b.request(t, host))
	echo(t, warmB.Conn, "warm b")
	wantAttrs(t, warmA.Attributes, sdk.Attributes{"tls.resumed": true})
	wantAttrs(t, warmB.Attributes, sdk.Attributes{"tls.resumed": true})
}
