//go:build linux

package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/internal/safetext"
)

// runFlags override the file's run settings and target timeouts.
type runFlags struct {
	count       int
	interval    time.Duration
	concurrency int
	sequential  bool
	timeout     time.Duration
	format      *formatFlag

	fallbackCount int
}

// msDuration is a flag value that reads a bare number as milliseconds, as
// the guide's --timeout=MS does, and anything else as a Go duration.
type msDuration time.Duration

func (d *msDuration) String() string { return time.Duration(*d).String() }
func (d *msDuration) Type() string   { return "ms|duration" }

func (d *msDuration) Set(s string) error {
	v, err := millisOrDuration(s)
	if err != nil {
		return fmt.Errorf("want milliseconds (2000) or a duration (2s), not %q", s)
	}
	*d = msDuration(v)
	return nil
}

// maxCount bounds --count and --concurrency: far beyond any real run, and
// small enough that nothing computed from it overflows.
const maxCount = 1<<31 - 1

// countValue is an int flag that takes a whole number from 0 to maxCount
// and says so, rather than quoting strconv ("value out of range"). Range
// checks against 1 are the command's, with its own words.
type countValue int

func (c *countValue) String() string { return strconv.Itoa(int(*c)) }
func (c *countValue) Type() string   { return "int" }

func (c *countValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange), err == nil && n > maxCount:
		return fmt.Errorf("%s is too large: want a whole number up to %d", safetext.Quote(s), maxCount)
	case err != nil:
		return fmt.Errorf("want a whole number, not %s", safetext.Quote(s))
	}
	*c = countValue(n)
	return nil
}

// errTooManyMillis is a number of milliseconds no duration can hold.
var errTooManyMillis = errors.New("too many milliseconds")

// millisOrDuration reads a bare number as milliseconds, as the guide's
// --timeout=MS does, and anything else as a Go duration.
func millisOrDuration(s string) (time.Duration, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.ParseDuration(s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, errTooManyMillis
	}
	return time.Duration(v * float64(time.Millisecond)), nil
}

// register adds the flags; --format offers the formats of report.
// fallbackCount is the count used when neither --count nor the file's
// run.count (above 1) says otherwise; 0 means 1.
func (f *runFlags) register(cmd *cobra.Command, fallbackCount int, report output.Renderer) {
	f.fallbackCount = fallbackCount
	fl := cmd.Flags()
	countHelp := "probes per target (overrides run.count)"
	if fallbackCount > 1 {
		countHelp = fmt.Sprintf("probes per target (overrides run.count; %d when neither is set)", fallbackCount)
	}
	fl.Var((*countValue)(&f.count), "count", countHelp)
	fl.Var((*msDuration)(&f.interval), "interval", "pause between rounds: milliseconds (200) or a duration (200ms) (overrides run.interval)")
	fl.Var((*countValue)(&f.concurrency), "concurrency", "targets probed at once (overrides run.concurrency)")
	fl.BoolVar(&f.sequential, "sequential", false, "probe targets one after another")
	fl.Var((*msDuration)(&f.timeout), "timeout", "budget for one probe of a target: milliseconds (2000) or a duration (2s) (overrides every target's timeout)")
	f.format = addFormatFlag(cmd, report)
}

// check validates the flags on their own, before any file is read.
func (f *runFlags) check(cmd *cobra.Command) error {
	fl := cmd.Flags()
	switch {
	case fl.Changed("count") && f.count < 1:
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
	switch {
	case fl.Changed("count"):
		file.Run.Count = f.count
	case file.Run.Count <= 1 && f.fallbackCount > 1:
		file.Run.Count = f.fallbackCount
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
