package config

import (
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Serve is the serve block: what only `probe serve` uses. Its zero value
// (no block) means every default.
type Serve struct {
	// Warm names the targets that are also probed in warm mode (DNS cache,
	// TLS resumption, HTTP keep-alive, as `probe warmup` does); "*" stands
	// for every target. Each name is checked against the file's targets.
	Warm []string
	// Buckets are the classic histogram bucket upper bounds, ascending;
	// nil means DefaultBuckets.
	Buckets []time.Duration
	// NativeBucketFactor is the growth factor of the native-histogram
	// buckets (client_golang's NativeHistogramBucketFactor), > 1; 0 means
	// DefaultNativeBucketFactor.
	NativeBucketFactor float64
	// TimeoutOffset is taken off Prometheus' scrape timeout
	// (X-Prometheus-Scrape-Timeout-Seconds) to give a /probe request's
	// budget, as blackbox_exporter's --timeout-offset does; nil means
	// DefaultTimeoutOffset.
	TimeoutOffset *time.Duration
	Range         hcl.Range // the block's definition range; empty without a block
}

// Serving defaults.
const (
	DefaultNativeBucketFactor = 1.1
	DefaultTimeoutOffset      = 500 * time.Millisecond
	// DefaultServeInterval is how often `probe serve` probes each target
	// when run.interval is unset or 0s.
	DefaultServeInterval = 15 * time.Second
)

// DefaultBuckets are the classic histogram bounds: 0.5 ms to 10 s, about
// 1-2.5-5 per decade (client_golang's DefBuckets extended downwards, since
// loopback and LAN phases take well under a millisecond).
var DefaultBuckets = []time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
	5 * time.Second, 10 * time.Second,
}

// WarmAll is the Warm entry that stands for every target.
const WarmAll = "*"

// IsWarm reports whether target is also probed warm.
func (s Serve) IsWarm(target string) bool {
	return slices.Contains(s.Warm, WarmAll) || slices.Contains(s.Warm, target)
}

// BucketBounds returns the classic bucket bounds in seconds.
func (s Serve) BucketBounds() []float64 {
	b := s.Buckets
	if b == nil {
		b = DefaultBuckets
	}
	out := make([]float64, len(b))
	for i, d := range b {
		out[i] = d.Seconds()
	}
	return out
}

// BucketFactor returns the native-histogram bucket factor.
func (s Serve) BucketFactor() float64 {
	if s.NativeBucketFactor == 0 {
		return DefaultNativeBucketFactor
	}
	return s.NativeBucketFactor
}

// Offset returns the scrape-timeout offset for /probe.
func (s Serve) Offset() time.Duration {
	if s.TimeoutOffset == nil {
		return DefaultTimeoutOffset
	}
	return *s.TimeoutOffset
}

// Where is the serve block as file:line:col, for messages; "" when the
// file has none.
func (s Serve) Where() string { return startOf(s.Range) }

// SameHistograms reports whether s and o shape histograms alike (bounds
// and factor), so that a reload can keep the histograms it has.
func (s Serve) SameHistograms(o Serve) bool {
	return slices.Equal(s.BucketBounds(), o.BucketBounds()) && s.BucketFactor() == o.BucketFactor()
}

var serveSchema = attributes("warm", "buckets", "native_bucket_factor", "timeout_offset")

// serve decodes the serve block. Warm names are checked by checkWarm once
// the targets are known.
func (d *decoder) serve(b *hcl.Block) (Serve, []hcl.Range) {
	if b == nil {
		return Serve{}, nil
	}
	s := Serve{Range: b.DefRange}
	c := d.content(b.Body, serveSchema)
	var warm []hcl.Range
	if a, ok := c.Attributes["warm"]; ok {
		s.Warm, warm = d.stringList(a.Expr)
	}
	s.Buckets = d.buckets(c)
	if a := d.attr(c, "native_bucket_factor", &s.NativeBucketFactor); a != nil && s.NativeBucketFactor <= 1 {
		d.errorf(a.Expr.Range(), "Invalid native_bucket_factor",
			"native_bucket_factor = %g; it must be greater than 1, such as 1.1 (each bucket at most 10%% wider than the last).", s.NativeBucketFactor)
	}
	if v, ok := d.duration(c, "timeout_offset", false); ok {
		s.TimeoutOffset = &v
	}
	return s, warm
}

// buckets decodes the bucket list: durations, greater than zero, strictly
// ascending. Problems point at the offending element.
func (d *decoder) buckets(c *hcl.BodyContent) []time.Duration {
	a, ok := c.Attributes["buckets"]
	if !ok {
		return nil
	}
	texts, ranges := d.stringList(a.Expr)
	if texts == nil {
		return nil
	}
	if len(texts) == 0 {
		d.errorf(a.Expr.Range(), "Invalid buckets", "buckets must name at least one bound, such as [\"1ms\", \"10ms\", \"100ms\", \"1s\"].")
		return nil
	}
	out := make([]time.Duration, len(texts))
	for i, text := range texts {
		v, err := time.ParseDuration(text)
		switch {
		case err != nil:
			d.errorf(ranges[i], "Invalid duration", `buckets: %q is not a duration: write a number and a unit, such as "2s" or "500ms".`, text)
		case v <= 0:
			d.errorf(ranges[i], "Invalid duration", `buckets: %q must be greater than zero.`, text)
		case i > 0 && v <= out[i-1]:
			d.errorf(ranges[i], "Invalid buckets", `buckets: %q is not greater than the bound before it (%s); list the bounds in ascending order.`, text, out[i-1])
		}
		out[i] = v
	}
	return out
}

// checkWarm reports warm entries that name no target.
func (d *decoder) checkWarm(s Serve, ranges []hcl.Range, targets []Target) {
	for i, name := range s.Warm {
		if name == WarmAll || slices.ContainsFunc(targets, func(t Target) bool { return t.Name == name }) {
			continue
		}
		d.errorf(ranges[i], "Unknown target", `serve: warm names target %q, which the file does not define; name a target, or "*" for all.`, name)
	}
}
