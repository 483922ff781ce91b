package config

import (
	"slices"
	"testing"
	"time"
)

func TestServeBlock(t *testing.T) {
	src := `
serve {
  warm                 = ["web"]
  buckets              = ["1ms", "10ms", "1s"]
  native_bucket_factor = 1.05
  timeout_offset       = "250ms"
}
target "web" { host = "www.probe.test" }
target "raw" { host = "127.0.0.1" }
`
	f, diags := NewLoader().LoadSource("serve.hcl", []byte(src), LoadOptions{Getenv: func(string) string { return "" }})
	if diags.HasErrors() {
		t.Fatal(renderDiags(diags))
	}
	s := f.Serve
	if !s.IsWarm("web") || s.IsWarm("raw") {
		t.Errorf("IsWarm(web)=%v IsWarm(raw)=%v, want true false", s.IsWarm("web"), s.IsWarm("raw"))
	}
	if got := s.BucketBounds(); !slices.Equal(got, []float64{0.001, 0.01, 1}) {
		t.Errorf("BucketBounds = %v", got)
	}
	if s.BucketFactor() != 1.05 || s.Offset() != 250*time.Millisecond {
		t.Errorf("BucketFactor = %v, Offset = %v", s.BucketFactor(), s.Offset())
	}
	if s.Range.Start.Line != 2 {
		t.Errorf("Range = %v, want line 2", s.Range)
	}
}

func TestServeDefaults(t *testing.T) {
	var s Serve
	if s.IsWarm("web") {
		t.Error("no serve block: nothing is warm")
	}
	b := s.BucketBounds()
	if b[0] != 0.0005 || b[len(b)-1] != 10 {
		t.Errorf("default buckets run %v..%v, want 0.0005..10", b[0], b[len(b)-1])
	}
	if s.BucketFactor() != DefaultNativeBucketFactor || s.Offset() != DefaultTimeoutOffset {
		t.Errorf("BucketFactor = %v, Offset = %v", s.BucketFactor(), s.Offset())
	}
	if !s.SameHistograms(Serve{Buckets: DefaultBuckets}) || s.SameHistograms(Serve{NativeBucketFactor: 1.5}) {
		t.Error("SameHistograms compares the effective bounds and factor")
	}
	all := Serve{Warm: []string{WarmAll}}
	if !all.IsWarm("anything") {
		t.Error(`warm = ["*"] warms every target`)
	}
}
