// Package output renders run statistics: a table for people and a JSON
// document for programs. Renderers only read stats; they measure nothing.
package output

import (
	"time"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/stats"
)

// Report is everything a renderer needs about a finished run.
type Report struct {
	Targets []plan.Target  // for host, port, protocol
	Stats   []stats.Target // in the same order
	// Interrupted is set when the run was cut short (SIGINT/SIGTERM).
	Interrupted bool
	// Plugins are the processes that served the phases.
	Plugins []Plugin
	// Insecure are the targets whose TLS certificate went unverified
	// (InsecureTargets of the run's samples).
	Insecure []string
	// Version is probe's version; Started is when the run began.
	Version string
	Started time.Time
}

// Plugin is one plugin process of a run.
type Plugin struct {
	Phase    string `json:"phase"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Source   string `json:"source"` // "built-in" or the executable's path
	PID      int    `json:"pid"`
	Restarts int    `json:"restarts"`
}

// NewReport pairs targets with their statistics.
func NewReport(targets []plan.Target, st []stats.Target) Report {
	return Report{Targets: targets, Stats: st}
}
