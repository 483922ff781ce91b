package stats

import (
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Status is the connectivity of one target, judged from its probes.
type Status string

// Statuses. A target is reachable when its most recent probe (the highest
// round) succeeded: up if every probe did, degraded if an earlier one
// failed. It is down when its most recent probe failed, and unknown when no
// probe of it finished (the run was interrupted first).
const (
	StatusUp       Status = "up"
	StatusDegraded Status = "degraded"
	StatusDown     Status = "down"
	StatusUnknown  Status = "unknown"
)

// Reachable reports whether the target's most recent probe succeeded.
func (s Status) Reachable() bool { return s == StatusUp || s == StatusDegraded }

// PhaseFailure is a failed phase of a probe: where and why.
type PhaseFailure struct {
	Phase string
	Error sample.Error
}

// Count returns how many of targets have the status.
func Count(targets []Target, s Status) int {
	n := 0
	for _, t := range targets {
		if t.Status == s {
			n++
		}
	}
	return n
}

// AllReachable reports whether every target's most recent probe succeeded.
func AllReachable(targets []Target) bool {
	for _, t := range targets {
		if !t.Status.Reachable() {
			return false
		}
	}
	return true
}

// judgement follows a target's latest probe and latest failure by round,
// so samples may arrive in any order.
type judgement struct {
	seen            bool
	lastRound       int
	lastOK          bool
	lastFailedRound int
	lastFailure     *PhaseFailure
}

func (j *judgement) add(s sample.Sample) {
	f := s.Failure()
	if !j.seen || s.Round > j.lastRound {
		j.seen, j.lastRound, j.lastOK = true, s.Round, f == nil
	}
	if f != nil && (j.lastFailure == nil || s.Round > j.lastFailedRound) {
		j.lastFailedRound = s.Round
		j.lastFailure = failureOf(f)
	}
}

func (j *judgement) result() (Status, *PhaseFailure) {
	switch {
	case !j.seen:
		return StatusUnknown, nil
	case !j.lastOK:
		return StatusDown, j.lastFailure
	case j.lastFailure != nil:
		return StatusDegraded, j.lastFailure
	}
	return StatusUp, nil
}

func failureOf(p *sample.Phase) *PhaseFailure {
	f := &PhaseFailure{Phase: p.Name, Error: sample.Error{Kind: sdk.KindInternal, Message: "unknown failure"}}
	if p.Error != nil {
		f.Error = *p.Error
	}
	return f
}
