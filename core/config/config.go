package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/probe-net/probe/internal/safetext"
)

// File is a loaded targets file.
type File struct {
	Path    string
	Run     Run
	Plugins []Plugin // in file order
	Targets []Target // in file order, defaults applied
	Serve   Serve    // the serve block; zero without one
}

// Run says how many times and how the targets are probed.
type Run struct {
	Count       int           // probes per target, >= 1
	Interval    time.Duration // pause between rounds, >= 0
	Sequential  bool          // run the targets of a round one after another
	Concurrency int           // max targets in flight when parallel, >= 1
}

// Plugin is a plugin block: it replaces a built-in phase or declares a new one.
type Plugin struct {
	Name    string
	Builtin string // name of the built-in serving it; "" when Path is set
	Path    string // resolved relative to the file's directory
	Args    []string
	// SHA256 pins the executable at Path: 64 lower-case hex digits, or "".
	SHA256 string
	// Env sets variables in the plugin's environment; PassEnv names
	// variables of probe's own environment the plugin also gets. Names are
	// checked (letters, digits, _; none reserved: see ReservedEnv).
	Env     map[string]string
	PassEnv []string
	// Config is the body of the config block, nil when there is none. It
	// carries the file's variables and functions: decode it with
	// DecodePluginConfig.
	Config    hcl.Body
	Range     hcl.Range // the block's definition range
	PathRange hcl.Range // where path is written; the block's range when it is not
}

// Where is the plugin's path attribute (or, without one, its block) as
// file:line:col, for messages; "" when it has no position.
func (p Plugin) Where() string { return startOf(p.PathRange) }

// startOf is r's start as file:line:col, as messages name places; "" for
// an empty range.
func startOf(r hcl.Range) string {
	if r.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// Target is one thing to probe.
type Target struct {
	// Host is what goes on the wire: an IP address, or a name with any
	// internationalised label as its A-label (WireHost).
	Host           string
	Name, Protocol string
	Port           int
	Timeout        time.Duration // budget for one probe (the whole chain)
	Phases         []string      // explicit chain, or the protocol's default chain
	Explicit       bool          // Phases came from the file
	Range          hcl.Range     // the block's definition range
}

// Defaults that apply when the file does not say otherwise.
const (
	DefaultProtocol    = "https"
	DefaultTimeout     = 5 * time.Second
	DefaultCount       = 1
	DefaultConcurrency = 16
)

// CheckPath reports, at the path attribute, an external plugin whose
// executable is missing, is not a regular file or is not executable; nil
// for a built-in or a path that can be started.
func (p Plugin) CheckPath() *hcl.Diagnostic {
	if p.Path == "" {
		return nil
	}
	st, err := os.Stat(p.Path)
	problem := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		problem = "does not exist"
	case err != nil:
		problem = "cannot be read: " + err.Error()
	case !st.Mode().IsRegular():
		problem = "is not a regular file"
	case st.Mode().Perm()&0o111 == 0:
		problem = "is not executable (chmod +x)"
	default:
		return nil
	}
	return errorAt(&p.PathRange, "Invalid plugin path",
		"plugin %q: %s %s.", p.Name, safetext.Quote(p.Path), problem)
}
