//go:build linux

package cli

import (
	"errors"
	"strings"
	"testing"
)

// TestServeNeedsAFile: without FILE, serve stops at its arguments, before
// anything runs (a daemon never probes the built-in demo list). Checked on
// the command's own Args, so that no test ever runs serve without a file.
func TestServeNeedsAFile(t *testing.T) {
	cmd := newServeCmd(&globals{})
	err := cmd.Args(cmd, nil)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitUsage || !strings.Contains(err.Error(), "needs a targets file") {
		t.Errorf("serve without FILE: %v; want a usage error saying it needs a file", err)
	}
	if err := cmd.Args(cmd, []string{"probe.hcl"}); err != nil {
		t.Errorf("serve FILE: %v", err)
	}
}
