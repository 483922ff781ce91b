//go:build linux

package cli

import "github.com/hashicorp/hcl/v2"

// hasSubject reports whether any error points into the targets file, which
// makes it a config error rather than a runtime one.
func hasSubject(diags hcl.Diagnostics) bool {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil {
			return true
		}
	}
	return false
}
