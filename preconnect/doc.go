// Package preconnect establishes DNS, TCP and TLS to the hosts a program
// will call before it needs them, and measures what that costs: the
// preconnect guide's programmatic API, in Go, running probe's built-in
// phases in the calling process (no plugin processes, no descriptor
// passing) on Linux, macOS and Windows.
//
// # Measuring: Host, All, Stats
//
// Host probes one Target — host, port, protocol, timeout — once and
// returns a Result: each phase's own duration (Result.DNS, TCP, TLS, HTTP,
// all time.Duration), their sum (Result.Latency), the address connected to
// (Result.Address) and what TLS negotiated (Result.TLSInfo: version,
// cipher, group, ALPN, whether the session was resumed).
//
//	r, err := preconnect.Host(ctx, preconnect.Target{Host: "api.example.com", Port: 443, Protocol: "https", Timeout: 2 * time.Second})
//	// r.Phases: dns, tcp, tls, http; r.Latency = r.DNS + r.TCP + r.TLS + r.HTTP
//
// The protocol chooses the chain of phases (see Phases): tcp runs dns and
// tcp; tls adds the handshake; http runs dns, tcp and an HTTP/1.1 HEAD;
// https runs all four. The dns phase is skipped for an IP literal. The
// phases and their timing are the CLI's, so a Result matches what `probe
// preconnect` prints for the same target: dns runs from the first query
// to the last answer, tcp is the connect (Happy Eyeballs, RFC 8305), tls
// the handshake including certificate verification, http from writing the
// request to the end of the response headers. Each probe uses a new
// connection and closes it.
//
// All probes many targets, 16 at a time by default (Options.Concurrency),
// or one at a time (Options.Sequential), calling Options.OnResult as each
// completes; its results come back in the order of the targets. Stats
// summarises results: counts, and min, mean, p50, p90, p99 and max per
// phase and of the latency, with the CLI's nearest-rank percentiles.
//
// The package-level Host and All use the system's resolvers
// (/etc/resolv.conf) and trusted CAs. A Client from New runs the phases
// with a Config: the attributes of each phase's plugin block in a targets
// file, as Go values (see Attrs), e.g. the DNS servers to ask and the CA
// file to trust:
//
//	c, err := preconnect.New(preconnect.Config{
//		DNS: preconnect.Attrs{"servers": []string{"10.0.0.53"}, "timeout": 500 * time.Millisecond},
//		TLS: preconnect.Attrs{"ca_file": "/etc/internal-ca.pem"},
//	})
//
// # Targets
//
// A Target is host, port, protocol and timeout; zero fields take defaults
// (https, the protocol's port, DefaultTimeout = 5 s). Protocols are lower
// case, as everywhere in probe. TargetFromURL makes one from the URL a
// program will request ("https://api.internal/v1" → api.internal, 443,
// https).
//
// DefaultTargets, ParseHosts and HostsFromEnv are the guide's CLI
// defaults: DefaultTargets is the list `probe preconnect` probes without a
// targets file, and ParseHosts reads the PRECONNECT_HOSTS format
// ("host:port:proto,...", IPv6 as "[::1]:443:https"), HostsFromEnv the
// variable itself, with the CLI's own parser (package core/targets), so
// their error messages are the CLI's word for word. A program that
// preconnects its own upstreams names them itself and may accept
// PRECONNECT_HOSTS as well.
//
// # Starting warm: Pool
//
// A Pool gives a server an *http.Transport whose first request to each
// preconnected target pays for no DNS lookup, TCP connect or TLS
// handshake:
//
//	pool, err := preconnect.NewPool(cfg, preconnect.PoolOptions{Rewarm: true})
//	defer pool.Close()
//	api, err := preconnect.TargetFromURL("https://api.internal/")
//	results := pool.Warm(ctx, api)
//	client := &http.Client{Transport: pool.Transport()}
//	client.Get("https://api.internal/v1/items") // on the connection Warm made
//
// Warm establishes the connections now, through the same dns, tcp and tls
// phases, and keeps them: PoolOptions.PerTarget per target (default 1).
// It is idempotent — it tops each target up to PerTarget waiting
// connections — so a readiness check may simply call it until every
// Result is OK. An http.Transport cannot be handed connections, so the
// pool's Transport dials through the pool: for a request to a
// preconnected host and port it returns a waiting connection, and only
// when none waits does it make one, through the same phases (the same
// resolvers, CAs and session cache). The TLS phase offers ALPN h2 and
// http/1.1: a server that picks h2 gets HTTP/2 on the preconnected
// connection, and then one connection carries every request. A request
// waits no longer than its context's deadline; a connection made on demand
// may take until the later of that deadline and the Target's Timeout (see
// Pool.Transport).
//
// A preconnected connection waits at most PoolOptions.MaxIdle (default 90
// s, http.DefaultTransport's idle timeout); then the pool closes it, and
// with PoolOptions.Rewarm makes a new one, so the target stays warm (at
// most PerTarget connections per MaxIdle per target). While a connection
// waits, the pool reads from it as http.Transport does with its idle
// connections: when the server closes it (its idle timeout passed) the
// pool drops it at once, counts it in PoolStats.Stale and never hands it
// out; bytes the server sends meanwhile (a TLS session ticket, an HTTP/2
// preface) reach the Transport untouched. Set MaxIdle below the server's
// idle timeout anyway: a close that races the first request fails that
// request, which http.Transport does not retry on a new connection.
//
// TLS sessions are cached per host and port. A TLS 1.3 server sends its
// session ticket after the handshake and the client takes it in only when
// it reads, so a connection made after the first request to a host
// resumes (TLSInfo.Resumed), but one warmed before any request cannot. Go
// resumes TLS 1.3 with a fresh key exchange: resumption skips the
// certificate checks, not a round trip.
//
// To see what a request got, attach a Trace with WithTrace: DialInfo says
// whether the connection was preconnected, how old it was, and how it was
// made; DialInfo.Conn is the connection httptrace.GotConnInfo reports.
// DialInfo.Preconnected is the reliable signal; net/http's own
// httptrace reads differently than one might expect:
//
//   - for a preconnected https connection TLSHandshakeStart and
//     TLSHandshakeDone still fire: net/http calls Handshake on every
//     *tls.Conn a dial hook returns, and on one already handshaken that is
//     a no-op, so the pair reports no work;
//   - GotConnInfo.Reused is false for a preconnected connection, as for any
//     connection the Transport has not carried a request on before (its
//     own word for "reused" is "from its idle pool");
//   - no DNSStart and no ConnectStart fire for a preconnected connection;
//     for one made on demand the phases dial with the request's context,
//     so ConnectStart/Done fire for the dns phase's queries (network udp
//     or tcp, the DNS server's address) and for the TCP connect, while
//     DNSStart never does (the dns phase asks its servers itself).
//
// PoolStats counts connections warmed, used, expired, found stale and made
// on demand. Close cancels Warm calls in flight and waits for them,
// closes waiting connections and stops re-warming; no goroutine or
// descriptor of the pool's outlives it.
//
// # Errors
//
// A failed probe or connection has Result.Err set to an *Error: the phase
// that failed, a Kind — timeout, canceled, refused, unreachable, nxdomain,
// servfail, no_address, dns, certificate, tls, http_status, protocol,
// reset, plugin, input, internal: the kinds the CLI reports, re-exported
// here as KindTimeout ... so no other package is needed to compare them —
// a message and the cause. It matches the usual Go ways:
//
//	var e *preconnect.Error
//	if errors.As(err, &e) && e.Kind == preconnect.KindNXDomain { ... }
//	errors.Is(err, syscall.ECONNREFUSED)    // through the cause (Unix)
//	errors.Is(err, context.DeadlineExceeded) // any KindTimeout; os.ErrDeadlineExceeded too
//	errors.Is(err, context.Canceled)         // KindCanceled
//
// and a timeout is a net.Error whose Timeout() is true, also through the
// *url.Error an http.Client returns for a failed dial. Its text says each
// part once: "preconnect: dns: nxdomain: missing.example does not exist
// (server 10.0.0.53:53)". An invalid Target fails with kind input and no
// phase, a ctx already done with kind canceled (or timeout) and no phase.
// New and NewPool return an error naming the phase and the attribute of a
// Config they reject.
package preconnect
