package sdk

import "strings"

// The well-known phase names: the slots of probe's default chains and the
// names of the built-in plugins that fill them. A target's protocol picks
// its chain from these (tcp: dns, tcp; tls: dns, tcp, tls; http: dns, tcp,
// http; https: dns, tcp, tls, http). A plugin that replaces a built-in
// (`plugin "dns" { path = ... }`) fills the slot of that name.
const (
	PhaseDNS  = "dns"  // resolve the target's host name to addresses
	PhaseTCP  = "tcp"  // connect to one of the addresses (Happy Eyeballs)
	PhaseTLS  = "tls"  // TLS handshake on the connection, certificate checks
	PhaseHTTP = "http" // one HTTP/1.1 request and its response headers
)

// Attribute keys the built-in phases report, "<phase>.<name>", and that
// probe's renderers and statistics read. A plugin filling one of these
// slots reports the keys it can under the same names and types, so probe
// shows them like the built-in's; see InstanceKey for a second instance.
// Value types are exact: the host asserts them (an int64 is not an int).
// In JSON output a time.Duration value appears as "<key>_ms", a float64 of
// milliseconds.
//
// dns (plugins/dns). Reported on success and, where known, on failure.
const (
	// AttrDNSSource (string): where the answer came from: "server",
	// "cache", "hosts" (a hosts file), "localhost" (RFC 6761 §6.3) or
	// "literal". Always set.
	AttrDNSSource = "dns.source"
	// AttrDNSHostsFile (string): the hosts file that answered. Hosts-file
	// answers.
	AttrDNSHostsFile = "dns.hosts_file"
	// AttrDNSCached (bool): the answer came from the plugin's cache. Always set.
	AttrDNSCached = "dns.cached"
	// AttrDNSQueries (int64): queries sent, counting retries, TCP repeats,
	// CNAME and search-list queries; 0 when none was sent. Always set.
	AttrDNSQueries = "dns.queries"
	// AttrDNSAnswers ([]string): the addresses found, netip text form,
	// preferred family first. Set when there are addresses.
	AttrDNSAnswers = "dns.answers"
	// AttrDNSServer (string): the server that answered ("ip:port" or a DoH
	// URL), else the last one tried. Server and cache answers.
	AttrDNSServer = "dns.server"
	// AttrDNSTransport (string): "udp", "tcp", "dot" or "doh". Server and
	// cache answers.
	AttrDNSTransport = "dns.transport"
	// AttrDNSRcode (string): the response code's name, "NOERROR",
	// "NXDOMAIN", ... (RFC 1035 §4.1.1, RFC 6895). Set when a response was parsed.
	AttrDNSRcode = "dns.rcode"
	// AttrDNSCNAME ([]string): the CNAME targets followed, in order.
	AttrDNSCNAME = "dns.cname"
	// AttrDNSTTL (int64, seconds): the smallest TTL of the records used;
	// from the cache, the time left.
	AttrDNSTTL = "dns.ttl"
	// AttrDNSTruncatedRetry (bool): a UDP answer that was truncated (TC) or
	// larger than the advertised size was asked again over TCP (RFC 7766).
	// Server answers.
	AttrDNSTruncatedRetry = "dns.truncated_retry"
	// AttrDNSErrors ([]string): failures of one address family while
	// another answered (an AAAA timeout, say). Renderers list them as
	// warnings (see AttrSuffixErrors).
	AttrDNSErrors = "dns.errors"
	// AttrDNSConnectReady (time.Duration): when a client following RFC 8305
	// §3 would have started connecting, if more than its 50 ms resolution
	// delay before the last answer (which ends the phase, as getaddrinfo
	// waits for both families).
	AttrDNSConnectReady = "dns.connect_ready"
	// AttrDNSBootstrap (string): how a DoH server named by host name was
	// reached: its bootstrap addresses, or "system resolver".
	AttrDNSBootstrap = "dns.bootstrap"
)

// tcp (plugins/tcp).
const (
	// AttrTCPAttempts (int64): connection attempts started. Always set,
	// also on failure.
	AttrTCPAttempts = "tcp.attempts"
	// AttrTCPRemote (string): the "ip:port" connected to ("[::1]:443" for
	// IPv6). On success.
	AttrTCPRemote = "tcp.remote"
	// AttrTCPLocal (string): the connection's local "ip:port". On success.
	AttrTCPLocal = "tcp.local"
	// AttrTCPFamily (string): "ipv4" or "ipv6", the family of
	// AttrTCPRemote. On success.
	AttrTCPFamily = "tcp.family"
)

// tls (plugins/tls).
const (
	// AttrTLSServerName (string): the name the certificate is verified
	// against, also the SNI unless it is an IP literal. Always set.
	AttrTLSServerName = "tls.server_name"
	// AttrTLSInsecure (bool): true when certificate verification was off;
	// absent otherwise. Renderers warn about it.
	AttrTLSInsecure = "tls.insecure"
	// AttrTLSVersion (string): the negotiated version, "TLS 1.3". On success.
	AttrTLSVersion = "tls.version"
	// AttrTLSCipher (string): the cipher suite's IANA name,
	// "TLS_AES_128_GCM_SHA256". On success.
	AttrTLSCipher = "tls.cipher"
	// AttrTLSCurve (string): the key exchange group, "X25519MLKEM768". On
	// success, when there was one.
	AttrTLSCurve = "tls.curve"
	// AttrTLSALPN (string): the protocol agreed by ALPN (RFC 7301), when one was.
	AttrTLSALPN = "tls.alpn"
	// AttrTLSResumed (bool): the session was resumed. On success.
	AttrTLSResumed = "tls.resumed"
	// AttrTLSPeerSubject (string): the leaf certificate's subject,
	// "CN=www.example.test,O=Example". Also when the certificate was rejected.
	AttrTLSPeerSubject = "tls.peer.subject"
	// AttrTLSPeerIssuer (string): the leaf certificate's issuer.
	AttrTLSPeerIssuer = "tls.peer.issuer"
	// AttrTLSPeerSANs ([]string): the leaf's subject alternative names: DNS
	// names, IP addresses, e-mail addresses, URIs.
	AttrTLSPeerSANs = "tls.peer.sans"
	// AttrTLSPeerNotAfter (string): the leaf's expiry, RFC 3339 in UTC.
	AttrTLSPeerNotAfter = "tls.peer.not_after"
	// AttrTLSPeerDaysLeft (int64, days): whole days from now to the expiry,
	// rounded toward zero: 0 on the last day and during the first day after
	// it, -1 from 24 hours after expiry (one day past, not two).
	AttrTLSPeerDaysLeft = "tls.peer.days_left"
	// AttrTLSPeerExpired (bool): the leaf's expiry has passed.
	AttrTLSPeerExpired = "tls.peer.expired"
	// AttrTLSChainSubject (string): the certificate of the verified chain
	// that expires first (blackbox_exporter's probe_ssl_earliest_cert_expiry);
	// of the certificates sent when verification was off. On success.
	AttrTLSChainSubject = "tls.chain.subject"
	// AttrTLSChainNotAfter (string): its expiry, RFC 3339 in UTC.
	AttrTLSChainNotAfter = "tls.chain.not_after"
	// AttrTLSChainDaysLeft (int64, days): its days left, as AttrTLSPeerDaysLeft.
	AttrTLSChainDaysLeft = "tls.chain.days_left"
	// AttrTLSChainExpired (bool): its expiry has passed.
	AttrTLSChainExpired = "tls.chain.expired"
)

// http (plugins/http).
const (
	// AttrHTTPMethod (string): the method of the last request sent. Always set.
	AttrHTTPMethod = "http.method"
	// AttrHTTPWrite (time.Duration): time spent writing the request.
	AttrHTTPWrite = "http.write"
	// AttrHTTPTTFB (time.Duration): from the start of the request write to
	// the first response byte, of any response (an interim 103 included),
	// as curl's time_starttransfer.
	AttrHTTPTTFB = "http.ttfb"
	// AttrHTTPInterim ([]string): the status lines of interim (1xx)
	// responses before the final one, "103 Early Hints".
	AttrHTTPInterim = "http.interim"
	// AttrHTTPFinalTTFB (time.Duration): from the start of the request
	// write to the first byte of the final response, when interim
	// responses came first.
	AttrHTTPFinalTTFB = "http.final_ttfb"
	// AttrHTTPStatus (int64): the final response's status code.
	AttrHTTPStatus = "http.status"
	// AttrHTTPProtocol (string): the response's protocol, "HTTP/1.1".
	AttrHTTPProtocol = "http.protocol"
	// AttrHTTPKeepAlive (bool): both sides kept the connection open.
	AttrHTTPKeepAlive = "http.keep_alive"
	// AttrHTTPLocation (string): the Location header, when present.
	AttrHTTPLocation = "http.location"
	// AttrHTTPServer (string): the Server header, when present.
	AttrHTTPServer = "http.server"
	// AttrHTTPContentType (string): the Content-Type header, when present.
	AttrHTTPContentType = "http.content_type"
	// AttrHTTPContentLength (int64, bytes): the Content-Length header, when present.
	AttrHTTPContentLength = "http.content_length"
	// AttrHTTPBodyBytes (int64, bytes): body bytes read and discarded (GET only).
	AttrHTTPBodyBytes = "http.body_bytes"
	// AttrHTTPBodyComplete (bool): the body was read to its end (GET only).
	AttrHTTPBodyComplete = "http.body_complete"
	// AttrHTTPBodyError (string): why reading the body failed (GET only).
	AttrHTTPBodyError = "http.body_error"
	// AttrHTTPTransfer (time.Duration): the time reading the body took
	// (GET only), curl's transfer time; outside the phase's Duration (see
	// AttrSuffixTransfer).
	AttrHTTPTransfer = "http.transfer"
	// AttrHTTPNotReusable (string): why the connection cannot carry another
	// request although keep-alive was asked for (see AttrSuffixNotReusable).
	AttrHTTPNotReusable = "http.not_reusable"
)

// Attribute shapes the core reads from any plugin, whatever its phase: a
// key "<prefix><suffix>" with the stated type.
const (
	// AttrSuffixErrors ([]string): failures inside a phase that succeeded;
	// shown as warnings by every renderer (AttrDNSErrors).
	AttrSuffixErrors = ".errors"
	// AttrSuffixTransfer (time.Duration): work the plugin timed outside
	// Result.Duration; it counts as the phase's, not as framework overhead
	// (AttrHTTPTransfer).
	AttrSuffixTransfer = ".transfer"
	// AttrSuffixNotReusable (string): why the connection could not carry
	// the next probe; probe warmup lists the reasons (AttrHTTPNotReusable).
	AttrSuffixNotReusable = ".not_reusable"
)

// InstanceKey returns the key under which the plugin instance called
// instance (Config.InstanceName) reports the well-known attribute key: the
// key's phase is replaced by the instance's name, so a second resolver
// declared as `plugin "backup_dns"` reports InstanceKey("backup_dns",
// AttrDNSAnswers) = "backup_dns.answers" instead of overwriting the first
// resolver's "dns.answers" in the probe's attributes. An empty instance, or
// one equal to the key's phase, leaves key as it is, and so does a key
// without a phase.
func InstanceKey(instance, key string) string {
	phase, name, ok := strings.Cut(key, ".")
	if !ok || instance == "" || instance == phase {
		return key
	}
	return instance + "." + name
}
