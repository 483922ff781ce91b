package dnsphase

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// maxCacheEntries bounds the cache; when it is full, expired entries go,
// and if that is not enough, all of them.
const maxCacheEntries = 4096

// cache keeps successful resolutions for their TTL (the smallest TTL of
// the records used). Failures and partial answers are not kept.
type cache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	res     resolution
	expires time.Time
}

func newCache(now func() time.Time) *cache {
	return &cache{now: now, entries: map[string]cacheEntry{}}
}

func cacheKey(name string) string { return strings.ToLower(name) }

// get returns name's resolution as served from the cache, its TTL the time
// left (rounded up to a whole second).
func (c *cache) get(name string) (*resolution, bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[cacheKey(name)]
	if !ok || !now.Before(e.expires) {
		delete(c.entries, cacheKey(name))
		return nil, false
	}
	res := e.res
	res.source, res.attempts, res.truncated, res.connectReady = sourceCache, 0, false, 0
	res.ttl = int64((e.expires.Sub(now) + time.Second - 1) / time.Second)
	return &res, true
}

// put stores res if it has addresses, no failed family and a TTL above 0.
func (c *cache) put(name string, res *resolution) {
	if len(res.addrs) == 0 || len(res.failures) > 0 || res.ttl <= 0 {
		return
	}
	now := c.now()
	entry := *res
	entry.addrs, entry.chain = slices.Clone(res.addrs), slices.Clone(res.chain)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		c.evict(now)
	}
	c.entries[cacheKey(name)] = cacheEntry{res: entry, expires: now.Add(time.Duration(res.ttl) * time.Second)}
}

func (c *cache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxCacheEntries {
		clear(c.entries)
	}
}
