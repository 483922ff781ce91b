//go:build linux

package server

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/hashicorp/go-hclog"
)

// EnvProfileDir names a directory where a plugin process writes a CPU
// profile and an allocation profile of its whole life
// (NAME-PID.cpu.pprof, NAME-PID.allocs.pprof) when the host stops it
// gracefully. For profiling the plugin side of a run; unset, nothing is
// recorded.
const EnvProfileDir = "PROBE_PLUGIN_PPROF"

// startProfile starts the CPU profile if EnvProfileDir is set and returns
// the function that writes both profiles.
func startProfile(name string, logger hclog.Logger) func() {
	dir := os.Getenv(EnvProfileDir)
	if dir == "" {
		return func() {}
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%d", name, os.Getpid()))
	cpu, err := os.Create(base + ".cpu.pprof")
	if err != nil {
		logger.Warn("cannot write a CPU profile", "error", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		logger.Warn("cannot start the CPU profile", "error", err)
		cpu.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		cpu.Close()
		f, err := os.Create(base + ".allocs.pprof")
		if err != nil {
			logger.Warn("cannot write the allocation profile", "error", err)
			return
		}
		defer f.Close()
		_ = pprof.Lookup("allocs").WriteTo(f, 0)
	}
}
