package testbed

import (
	"net"
	"sync"
)

// Server names accepted by Accepted and Requests.
const (
	ServerDNS   = "dns"
	ServerDoT   = "dot"
	ServerHTTP  = "http"
	ServerHTTPS = "https"
	ServerTCP   = "tcp"
)

// Request is one HTTP request a testbed web server answered.
type Request struct {
	Method     string
	Path       string
	Host       string // the Host header
	RemoteAddr string // the client's "ip:port"
	TLS        bool
	TLSVersion uint16 // tls.VersionTLS13 and so on; 0 without TLS
}

// DNSQuery is one question the testbed DNS server received.
type DNSQuery struct {
	Name string // as asked, e.g. "www.probe.test."
	Type string // "A", "AAAA", ...
	Net  string // NetUDP, NetTCP, NetTLS (DoT) or NetHTTPS (DoH)
}

// counters records what the servers saw. All methods are safe for
// concurrent use.
type counters struct {
	mu         sync.Mutex
	accepted   map[string]int64
	handshakes int64
	requests   map[string][]Request
	queries    []DNSQuery
	droppedUDP int64
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.accepted = map[string]int64{}
	c.handshakes = 0
	c.requests = map[string][]Request{}
	c.queries = nil
	c.droppedUDP = 0
}

func (c *counters) addAccepted(server string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.accepted[server]++
}

func (c *counters) addHandshake() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handshakes++
}

func (c *counters) addRequest(server string, r Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests[server] = append(c.requests[server], r)
}

func (c *counters) addQuery(q DNSQuery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries = append(c.queries, q)
}

func (c *counters) addDroppedUDP() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.droppedUDP++
}

// Accepted returns how many TCP connections server ("dns", "dot", "http",
// "https" or "tcp") accepted since Start or the last Reset. For "dns" that
// counts DNS-over-TCP connections only; DoH connections arrive at "https".
func (tb *Testbed) Accepted(server string) int64 {
	tb.counters.mu.Lock()
	defer tb.counters.mu.Unlock()
	return tb.counters.accepted[server]
}

// Handshakes returns how many TLS handshakes the https server completed
// (the client's Finished message received and verified), DoH clients'
// included. Failed handshakes, and those of the DoT server, are not counted.
func (tb *Testbed) Handshakes() int64 {
	tb.counters.mu.Lock()
	defer tb.counters.mu.Unlock()
	return tb.counters.handshakes
}

// Requests returns a copy of the requests server ("http" or "https")
// answered, oldest first. DoH queries appear as POST requests to DoHPath
// on "https".
func (tb *Testbed) Requests(server string) []Request {
	tb.counters.mu.Lock()
	defer tb.counters.mu.Unlock()
	return append([]Request(nil), tb.counters.requests[server]...)
}

// DNSQueries returns a copy of the questions the DNS servers (plain, DoT
// and DoH) answered, oldest first. Net tells the transport each came over.
// With Options.DNSNoUDP, UDP queries are dropped unread and appear here not
// at all: DroppedUDP counts them.
func (tb *Testbed) DNSQueries() []DNSQuery {
	tb.counters.mu.Lock()
	defer tb.counters.mu.Unlock()
	return append([]DNSQuery(nil), tb.counters.queries...)
}

// DroppedUDP returns how many UDP datagrams reached the DNS port and were
// dropped unanswered because Options.DNSNoUDP is set. Each query attempt
// is one datagram.
func (tb *Testbed) DroppedUDP() int64 {
	tb.counters.mu.Lock()
	defer tb.counters.mu.Unlock()
	return tb.counters.droppedUDP
}

// Reset zeroes every counter.
func (tb *Testbed) Reset() { tb.counters.reset() }

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	server   string
	counters *counters
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.counters.addAccepted(l.server)
	}
	return c, err
}
