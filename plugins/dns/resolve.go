package dnsphase

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
)

// resolver is the phase's configured state; Configure replaces it whole.
type resolver struct {
	cfg   *settings
	cache *cache // nil when caching is off
}

func newResolver(cfg *settings, now func() time.Time) *resolver {
	r := &resolver{cfg: cfg}
	if cfg.cache {
		r.cache = newCache(now)
	}
	return r
}

// resolve answers host from an IP literal, the localhost names, the hosts
// file, the cache or, failing those, DNS queries.
func (r *resolver) resolve(ctx context.Context, host string) (*sdk.Result, error) {
	start := time.Now()
	if addr, ok := ipLiteral(host); ok {
		res := newResolution(sourceLiteral)
		res.addrs = []netip.Addr{addr}
		return res.result(time.Since(start)), nil
	}
	host, err := asciiName(host)
	if err != nil {
		return &sdk.Result{Duration: time.Since(start)}, err
	}
	if res, ok := r.local(host); ok {
		return res.result(time.Since(start)), nil
	}
	return r.query(ctx, host)
}

// ipLiteral accepts "192.0.2.1", "2001:db8::1" and "[2001:db8::1]".
func ipLiteral(host string) (netip.Addr, bool) {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	addr, err := netip.ParseAddr(host)
	return addr, err == nil
}

// asciiName checks host and returns the name to ask for: an
// internationalised name as its A-label (sdk.ASCIIHost), since DNS carries
// A-labels; probe's core maps names already, this covers other callers.
func asciiName(host string) (string, error) {
	if host == "" {
		return "", sdk.Errorf(sdk.KindInput, "the target has no host name to resolve")
	}
	name, err := sdk.ASCIIHost(host)
	if err != nil {
		return "", sdk.Errorf(sdk.KindInput, "%v", err)
	}
	if _, ok := dns.IsDomainName(name); !ok {
		return "", sdk.Errorf(sdk.KindInput, "%q is not a valid domain name", host)
	}
	return name, nil
}

// local answers without a query: a localhost name (RFC 6761 §6.3) with
// the loopback addresses, else from the hosts file or the cache.
func (r *resolver) local(name string) (*resolution, bool) {
	if isLocalhost(name) {
		res := newResolution(sourceLocalhost)
		res.addrs = ordered(loopback(r.cfg.qtypes), r.cfg.preferV4)
		return res, true
	}
	if addrs := r.cfg.hosts.lookup(name, r.cfg.qtypes); len(addrs) > 0 {
		res := newResolution(sourceHosts)
		res.addrs = ordered(addrs, r.cfg.preferV4)
		res.hostsFile = r.cfg.hostsPath
		return res, true
	}
	if r.cache != nil {
		return r.cache.get(name)
	}
	return nil, false
}

// query resolves name with DNS queries. The duration runs from the first
// query sent to the last answer parsed; building the transports is setup.
func (r *resolver) query(ctx context.Context, name string) (*sdk.Result, error) {
	l := newLookup(r.cfg)
	defer l.close()
	l.start = time.Now()
	answers, candidates := l.run(ctx, name)
	elapsed := time.Since(l.start)
	res, err := l.summarize(name, candidates, answers)
	if err == nil && r.cache != nil {
		r.cache.put(name, res)
	}
	return res.result(elapsed), err
}

// run asks each candidate name (search domains applied) in turn until one
// has addresses, as glibc's res_search does: a candidate that does not
// exist, has no address (NODATA) or fails moves on to the next. Without
// addresses anywhere, the answers returned are, as in glibc, the first
// candidate's that exists without addresses, else the first that failed
// otherwise, else the last NXDOMAIN.
func (l *lookup) run(ctx context.Context, name string) ([]answer, []string) {
	candidates := l.cfg.nameList(name)
	var nodata, failed, last []answer
	for _, fqdn := range candidates {
		answers := l.queryFamilies(ctx, fqdn)
		switch {
		case hasAddresses(answers):
			return answers, candidates
		case nodata == nil && slices.ContainsFunc(answers, func(a answer) bool { return a.err == nil }):
			nodata = answers
		case failed == nil && !allNXDomain(answers):
			failed = answers
		}
		last = answers
		if ctx.Err() != nil {
			break
		}
	}
	for _, answers := range [][]answer{nodata, failed} {
		if answers != nil {
			return answers, candidates
		}
	}
	return last, candidates
}

func hasAddresses(answers []answer) bool {
	return slices.ContainsFunc(answers, func(a answer) bool { return len(a.addrs) > 0 })
}

// nameList is the names to try for name, in order.
func (s *settings) nameList(name string) []string {
	cc := dns.ClientConfig{Search: s.search, Ndots: s.ndots}
	return cc.NameList(name)
}

// queryFamilies resolves fqdn for every wanted address type concurrently.
func (l *lookup) queryFamilies(ctx context.Context, fqdn string) []answer {
	answers := make([]answer, len(l.cfg.qtypes))
	var wg sync.WaitGroup
	for i, qtype := range l.cfg.qtypes {
		wg.Go(func() {
			answers[i] = l.follow(ctx, fqdn, qtype)
			answers[i].at = time.Since(l.start)
		})
	}
	wg.Wait()
	return answers
}

func allNXDomain(answers []answer) bool {
	for _, a := range answers {
		if !isNXDomain(a.err) {
			return false
		}
	}
	return true
}

// summarize turns the answers into a resolution and the run's error.
func (l *lookup) summarize(name string, candidates []string, answers []answer) (*resolution, error) {
	lead, err := decide(name, candidates, answers, l.cfg.qtypes)
	res := newResolution(sourceServer)
	res.transport = l.cfg.transport
	res.attempts, res.truncated = l.attempts.Load(), l.truncated.Load()
	res.server, res.rcode, res.chain = answers[lead].server, answers[lead].rcode, answers[lead].chain
	res.bootstrap = l.cfg.bootstrapOf(res.server)
	var addrs []netip.Addr
	for _, a := range answers {
		addrs = append(addrs, a.addrs...)
		res.ttl = minTTL(res.ttl, a)
		if len(res.chain) == 0 {
			res.chain = a.chain
		}
		if err == nil && a.err != nil {
			res.failures = append(res.failures, a.err.Error())
		}
	}
	res.addrs = ordered(addrs, l.cfg.preferV4)
	res.connectReady = connectReady(answers, l.cfg.preferV4)
	return res, err
}

// resolutionDelay is how long a client following RFC 8305 §3 waits for the
// AAAA answer once the A answer is in (the RFC's recommended 50 ms).
const resolutionDelay = 50 * time.Millisecond

// connectReady is when a client following RFC 8305 §3 would have started
// connecting, from the first query: at the preferred family's (AAAA's,
// unless prefer is ipv4) positive answer, or at the other family's positive
// answer once the preferred one has answered or the resolution delay has
// passed, whichever comes first. It is 0 unless the last answer came more
// than the resolution delay after that, so that it appears when a late or
// missing answer held the phase up: the phase itself ends at the last
// answer, as getaddrinfo does.
func connectReady(answers []answer, preferV4 bool) time.Duration {
	if len(answers) != 2 {
		return 0
	}
	pref, other := answers[0], answers[1]
	if (pref.qtype == dns.TypeA) != preferV4 {
		pref, other = other, pref
	}
	ready := time.Duration(-1)
	if len(pref.addrs) > 0 {
		ready = pref.at
	}
	if len(other.addrs) > 0 {
		t := other.at + resolutionDelay
		if pref.at < t {
			t = max(pref.at, other.at)
		}
		if ready < 0 || t < ready {
			ready = t
		}
	}
	if ready < 0 || max(pref.at, other.at)-ready <= resolutionDelay {
		return 0
	}
	return ready
}

// decide picks the answer that speaks for the run and the run's error:
// any addresses win; then a failure other than NXDOMAIN; then NXDOMAIN when
// every answer says so; otherwise the name exists without addresses.
func decide(name string, candidates []string, answers []answer, qtypes []uint16) (int, error) {
	for i, a := range answers {
		if len(a.addrs) > 0 {
			return i, nil
		}
	}
	for i, a := range answers {
		if a.err != nil && !isNXDomain(a.err) {
			return i, a.err
		}
	}
	if allNXDomain(answers) {
		return 0, nxdomainError(name, candidates, answers[0])
	}
	i := slices.IndexFunc(answers, func(a answer) bool { return a.err == nil })
	return i, noAddressError(answers[i].name, qtypes, answers[i].server)
}

func minTTL(ttl int64, a answer) int64 {
	if a.hasTTL && (ttl < 0 || int64(a.ttl) < ttl) {
		return int64(a.ttl)
	}
	return ttl
}
