//go:build linux

package pluginhost

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestRuntimeEnv(t *testing.T) {
	for _, name := range []string{"GOMAXPROCS", "GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(name); ok {
			t.Setenv(name, v) // restored afterwards
			os.Unsetenv(name)
		}
	}
	got := runtimeEnv(Options{Procs: 1})
	want := []string{"GOMAXPROCS=1", "GOGC=400", "GOMEMLIMIT=32MiB"}
	if !slices.Equal(got, want) {
		t.Errorf("defaults: %q, want %q", got, want)
	}
	if got := runtimeEnv(Options{}); slices.ContainsFunc(got, func(kv string) bool { return strings.HasPrefix(kv, "GOMAXPROCS=") }) {
		t.Errorf("Procs 0 set GOMAXPROCS: %q", got)
	}
	t.Setenv("GOGC", "50")
	t.Setenv("GOMAXPROCS", "3")
	if got := runtimeEnv(Options{Procs: 1}); !slices.Contains(got, "GOGC=50") || !slices.Contains(got, "GOMAXPROCS=3") {
		t.Errorf("the host's own settings did not win: %q", got)
	}
}
