//go:build linux

package tlsphase

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/probe-net/probe/sdk"
)

func TestDaysLeftRoundsTowardZero(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		notAfter time.Duration // from now
		want     int64
	}{
		{10*day - time.Second, 9},
		{day + time.Second, 1},
		{day, 1},
		{day - time.Second, 0}, // the last day
		{time.Second, 0},
		{-time.Second, 0}, // expired, less than a day ago
		{-day + time.Second, 0},
		{-day, -1}, // expired exactly a day ago: one day, not two
		{-day - time.Minute, -1},
		{-2*day + time.Second, -1},
		{-2 * day, -2},
	} {
		if got := daysLeft(now.Add(tc.notAfter), now); got != tc.want {
			t.Errorf("not_after now%+v: days_left %d, want %d", tc.notAfter, got, tc.want)
		}
	}
}

func TestCertificateExpiredADayAgoIsOneDayPast(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	expired := f.ca.issue(t, leafSpec{cn: host, dnsNames: []string{host}, notBefore: now.Add(-72 * time.Hour), notAfter: now.Add(-24*time.Hour - time.Minute)})
	srv := f.server(t, expired, nil)
	res := handshakeOK(t, f.harness(t, `{"insecure_skip_verify": true}`), srv.request(t, host))
	wantAttrs(t, res.Attributes, sdk.Attributes{"tls.peer.days_left": int64(-1), "tls.peer.expired": true})
}

// An intermediate expiring in 10 days under a leaf valid for 300: the chain
// figure names the intermediate, the leaf's stays the leaf's.
func TestChainExpiryNamesTheCertificateThatExpiresFirst(t *testing.T) {
	now := time.Now()
	root := newRoot(t, "Long Root", now.Add(1000*24*time.Hour))
	inter := root.intermediate(t, "Short Intermediate", newKey(t), now.Add(10*24*time.Hour))
	leaf := inter.issue(t, leafSpec{cn: host, dnsNames: []string{host}, notAfter: now.Add(300 * 24 * time.Hour)})
	leaf.Certificate = append(leaf.Certificate, inter.der)

	srv := startServer(t, &tls.Config{Certificates: []tls.Certificate{leaf}})
	h := (&fixture{caFile: root.writeFile(t)}).harness(t, `{"ca_file": %s}`)
	res := handshakeOK(t, h, srv.request(t, host))
	wantAttrs(t, res.Attributes, sdk.Attributes{
		"tls.peer.days_left":  int64(299),
		"tls.chain.subject":   "CN=Short Intermediate",
		"tls.chain.not_after": inter.cert.NotAfter.UTC().Format(time.RFC3339),
		"tls.chain.days_left": int64(9),
		"tls.chain.expired":   false,
	})
}

// With a cross-signed intermediate there are two verified chains; the
// figure is the one that stays valid longest, since either chain will do.
func TestChainExpiryTakesTheLongestLivedVerifiedChain(t *testing.T) {
	now := time.Now()
	oldRoot := newRoot(t, "Old Root", now.Add(1000*24*time.Hour))
	newRootCA := newRoot(t, "New Root", now.Add(1000*24*time.Hour))
	key := newKey(t)
	soon := oldRoot.intermediate(t, "Cross Intermediate", key, now.Add(5*24*time.Hour))
	later := newRootCA.intermediate(t, "Cross Intermediate", key, now.Add(100*24*time.Hour))
	leaf := soon.issue(t, leafSpec{cn: host, dnsNames: []string{host}, notAfter: now.Add(300 * 24 * time.Hour)})
	leaf.Certificate = append(leaf.Certificate, soon.der, later.der)

	caFile := writePEMs(t, oldRoot.der, newRootCA.der)
	srv := startServer(t, &tls.Config{Certificates: []tls.Certificate{leaf}})
	h := (&fixture{caFile: caFile}).harness(t, `{"ca_file": %s}`)
	res := handshakeOK(t, h, srv.request(t, host))
	wantAttrs(t, res.Attributes, sdk.Attributes{
		"tls.chain.subject":   "CN=Cross Intermediate",
		"tls.chain.not_after": later.cert.NotAfter.UTC().Format(time.RFC3339),
		"tls.chain.days_left": int64(99),
	})
}

// Without verification the figure covers what the server sent.
func TestChainExpiryWithoutVerificationCoversTheSentCertificates(t *testing.T) {
	now := time.Now()
	root := newRoot(t, "Long Root", now.Add(1000*24*time.Hour))
	inter := root.intermediate(t, "Lapsed Intermediate", newKey(t), now.Add(-48*time.Hour-time.Minute))
	leaf := inter.issue(t, leafSpec{cn: host, dnsNames: []string{host}, notAfter: now.Add(300 * 24 * time.Hour)})
	leaf.Certificate = append(leaf.Certificate, inter.der)

	srv := startServer(t, &tls.Config{Certificates: []tls.Certificate{leaf}})
	h := (&fixture{}).harness(t, `{"insecure_skip_verify": true}`)
	res := handshakeOK(t, h, srv.request(t, host))
	wantAttrs(t, res.Attributes, sdk.Attributes{
		"tls.chain.subject":   "CN=Lapsed Intermediate",
		"tls.chain.days_left": int64(-2),
		"tls.chain.expired":   true,
	})
}
