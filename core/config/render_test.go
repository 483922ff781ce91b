package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// renderDiags renders diagnostics one a line as "file:line:col: summary;
// detail", or "summary; detail" when there is no position.
func renderDiags(diags hcl.Diagnostics) string {
	lines := make([]string, len(diags))
	for i, d := range diags {
		lines[i] = d.Summary + "; " + d.Detail
		if d.Subject != nil {
			lines[i] = fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, lines[i])
		}
	}
	return strings.Join(lines, "\n")
}
