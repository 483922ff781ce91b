//go:build linux

package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
)

// runFlags override the file's run settings and target timeouts.
type runFlags struct {
	count       int
	interval    time.Duration
	concurrency int
	sequential  bool
	timeout     time.Duration
	format      string
}

func (f *runFlags) register(cmd *cobra.Command, defaultCount int) {
	fl := cmd.Flags()
	fl.IntVar(&f.count, "count", defaultCount, "probes per target (overrides run.count)")
	fl.DurationVar(&f.interval, "interval", 0, "pause between rounds, e.g. 200ms (overrides run.interval)")
	fl.IntVar(&f.concurrency, "concurrency", 0, "targets probed at once (overrides run.concurrency)")
	fl.BoolVar(&f.sequential, "sequential", false, "probe targets one after another")
	fl.DurationVar(&f.timeout, "timeout", 0, "budget for one probe of a target, e.g. 2s (overrides every target's timeout)")
	fl.StringVar(&f.format, "format", "table", "output format: table or json")
}

// check validates the flags on their own, before any file is read.
func (f *runFlags) check(cmd *cobra.Command) error {
	if f.format != "table" && f.format != "json" {
		return exit(ExitUsage, "--format must be table or json, not %q", f.format)
	}
	fl := cmd.Flags()
	switch {
	case (fl.Changed("count") || f.count > 0) && f.count < 1:
		return exit(ExitUsage, "--count must be at least 1")
	case fl.Changed("interval") && f.interval < 0:
		return exit(ExitUsage, "--interval must not be negative")
	case fl.Changed("concurrency") && f.concurrency < 1:
		return exit(ExitUsage, "--concurrency must be at least 1")
	case fl.Changed("timeout") && f.timeout <= 0:
		return exit(ExitUsage, "--timeout must be greater than zero, e.g. 2s")
	}
	return nil
}

// load checks the flags, loads the targets and applies the flags to them.
func (f *runFlags) load(g *globals, cmd *cobra.Command, src *sourceFlags, path string) (*source, error) {
	if err := f.check(cmd); err != nil {
		return nil, err
	}
	s, err := src.load(g, path)
	if err != nil {
		return nil, err
	}
	f.apply(cmd, s.file)
	return s, nil
}

// apply writes the flags the user set into file; check has validated them.
func (f *runFlags) apply(cmd *cobra.Command, file *config.File) {
	fl := cmd.Flags()
	if fl.Changed("count") || f.count > 0 {
		file.Run.Count = f.count
	}
	if fl.Changed("interval") {
		file.Run.Interval = f.interval
	}
	if fl.Changed("concurrency") {
		file.Run.Concurrency = f.concurrency
	}
	if fl.Changed("sequential") {
		file.Run.Sequential = f.sequential
	}
	if fl.Changed("timeout") {
		for i := range file.Targets {
			file.Targets[i].Timeout = f.timeout
		}
	}
}
