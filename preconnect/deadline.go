package preconnect

import (
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/plugins/registry"
)

// deadlines remembers, per host and port, the latest deadline of the
// requests a Pool's Transport has been asked to send there. net/http dials
// with a context detached from the request (context.WithoutCancel), so a
// dial hook cannot see its request's deadline; the Transport's Proxy hook,
// called with each request before it waits for a connection, can.
type deadlines struct {
	mu sync.Mutex
	by map[string]time.Time // poolKey → latest deadline seen
}

// note is the Transport's Proxy hook: it records req's deadline and
// returns no proxy.
func (d *deadlines) note(req *http.Request) (*url.URL, error) {
	deadline, ok := req.Context().Deadline()
	if !ok || req.URL == nil {
		return nil, nil
	}
	port, err := strconv.Atoi(req.URL.Port())
	if err != nil {
		port = registry.DefaultPort(req.URL.Scheme)
	}
	host := req.URL.Hostname()
	if wire, err := config.WireHost(host); err == nil {
		host = wire // the A-label, as net/http dials it
	}
	key := poolKey(req.URL.Scheme, host, port)
	d.mu.Lock()
	defer d.mu.Unlock()
	if now := time.Now(); d.by[key].Before(now) {
		for k, t := range d.by { // forget the ones passed: the map stays as small as the requests in flight
			if t.Before(now) {
				delete(d.by, k)
			}
		}
	}
	if deadline.After(d.by[key]) {
		d.by[key] = deadline
	}
	return nil, nil
}

// budget is how long until the latest deadline of a request to key; 0 when
// none is ahead.
func (d *deadlines) budget(key string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return max(time.Until(d.by[key]), 0)
}
