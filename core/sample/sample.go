// Package sample holds what one probe of one target produced: the result of
// each phase in its chain. Runners emit samples; stats and output sinks
// consume them. Samples carry durations, never monotonic timestamps from
// another process.
package sample

import (
	"strings"
	"time"

	"github.com/probe-net/probe/sdk"
)

// Status is the outcome of one phase.
type Status string

// Phase outcomes. A phase that did not run because an earlier one failed is
// absent from the sample.
const (
	OK      Status = "ok"
	Failed  Status = "failed"
	Skipped Status = "skipped" // not needed, e.g. dns for an IP literal
	Reused  Status = "reused"  // not run: the probe reused the connection it produced last time
)

// Error is a classified failure.
type Error struct {
	Kind    sdk.ErrorKind `json:"kind"`
	Message string        `json:"message"`
	// Err is the error behind Message, as the runner got it: from a phase
	// run in this process (core/runner.InProcess) the phase's own error,
	// whose chain errors.Is and errors.As search (package preconnect
	// unwraps to it); from a plugin process only its text; nil when the
	// runner made the failure up (a budget spent before the phase). Its
	// text is already in Message. It is never serialised.
	Err error `json:"-"`
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Message }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// TrimKind is message without a leading "kind: ", which many phases'
// messages start with ("nxdomain: x.test does not exist"): the message as
// renderers put it after the kind they print themselves, so the kind is
// never said twice.
func TrimKind(kind sdk.ErrorKind, message string) string {
	return strings.TrimPrefix(message, string(kind)+": ")
}

// Phase is one phase's result within a probe.
type Phase struct {
	Name   string // the phase's slot in the chain ("dns")
	Plugin string // the plugin that served it ("dns 0.1.0", "statichosts 0.1.0")
	Status Status
	// Duration is the plugin's own measurement of its work.
	Duration time.Duration
	// Wall is the host's measurement of the whole call (RPC, descriptor
	// passing, the phase's work). Wall minus what the plugin measured (its
	// Duration, and work it timed outside it, such as the http phase's body
	// read, http.transfer) is the framework's overhead.
	Wall       time.Duration
	Error      *Error
	Attributes sdk.Attributes
	Note       string // why it was skipped
}

// Sample is one probe of one target.
type Sample struct {
	Target string
	Round  int       // 0-based round number
	Start  time.Time // host wall clock, for display only
	Phases []Phase
	Wall   time.Duration // host time for the whole chain
	// Reused is set when the probe ran on a connection kept from the
	// target's previous probe.
	Reused bool
	// Note explains anything unusual, such as a reused connection that had
	// gone stale and was replaced by a new one.
	Note string
}

// Failure returns the failed phase, or nil if the probe succeeded.
func (s Sample) Failure() *Phase {
	for i := range s.Phases {
		if s.Phases[i].Status == Failed {
			return &s.Phases[i]
		}
	}
	return nil
}

// OK reports whether every phase that ran succeeded.
func (s Sample) OK() bool { return s.Failure() == nil }

// Total is the sum of the phases' own durations.
func (s Sample) Total() time.Duration {
	var d time.Duration
	for _, p := range s.Phases {
		d += p.Duration
	}
	return d
}

// Canceled reports whether the probe failed only because the run was
// interrupted (kind canceled). Such a probe says nothing about its target:
// the runner does not emit it and statistics leave it out.
func (s Sample) Canceled() bool {
	f := s.Failure()
	return f != nil && f.Error != nil && f.Error.Kind == sdk.KindCanceled
}
