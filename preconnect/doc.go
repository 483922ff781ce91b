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
// file, e.g. the DNS servers to ask and the CA file to trust:
//
//	c, err := preconnect.New(preconnect.Config{
//		DNS: preconnect.Attrs{"servers": []string{"10.0.0.53"}, "timeout": "500ms"},
//		TLS: preconnect.Attrs{"ca_file": "/etc/internal-ca.pem"},
//	})
//
// # Targets
//
// DefaultTargets is the guide's default list, the one the CLI probes
// without a targets file. ParseHosts reads the PRECONNECT_HOSTS format
// ("host:port:proto,...", IPv6 as "[::1]:443:https") and HostsFromEnv the
// variable itself, with the CLI's own parser (package core/targets), so
// its error messages are the CLI's word for word.
//
// # Starting warm: Pool
//
// A Pool gives a server an *http.Transport whose first request to each
// preconnected target pays for no DNS lookup, TCP connect or TLS
// handshake:
//
//	pool, err := preconnect.NewPool(cfg, preconnect.PoolOptions{Rewarm: true})
//	defer pool.Close()
//	results := pool.Warm(ctx, preconnect.Target{Host: "api.internal", Port: 443, Protocol: "https"})
//	client := &http.Client{Transport: pool.Transport()}
//	client.Get("https://api.internal/v1/items") // on the connection Warm made
//
// Warm establishes the connections now, through the same dns, tcp and tls
// phases, and keeps them. An http.Transport cannot be handed connections,
// so the pool's Transport dials through the pool: for a request to a
// preconnected host and port it returns a waiting connection, and only
// when none waits does it make one, through the same phases (the same
// resolvers, CAs and session cache). The TLS phase offers ALPN h2 and
// http/1.1: a server that picks h2 gets HTTP/2 on the preconnected
// connection, and then one connection carries every request.
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
// PoolStats counts connections warmed, used, expired, found stale and made
// on demand. Close closes waiting connections and stops re-warming; no
// goroutine or descriptor of the pool's outlives it.
//
// # Errors
//
// A failed probe or connection has Result.Err set to an *Error naming the
// phase and a kind from package sdk: timeout, canceled, refused,
// unreachable, nxdomain, servfail, no_address, dns, certificate, tls,
// http_status, protocol, reset, plugin, input, internal — the kinds the
// CLI reports. An invalid Target fails with kind input and no phases.
// New and NewPool return an error naming the phase and the attribute of a
// Config they reject.
package preconnect
