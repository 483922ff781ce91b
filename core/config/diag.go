package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// errorAt returns an error diagnostic; subject may be nil.
func errorAt(subject *hcl.Range, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  subject,
	}
}

// uniqueBlocks drops blocks whose type and labels repeat an earlier block's,
// and blocks with an empty label, reporting each.
func uniqueBlocks(blocks hcl.Blocks, diags hcl.Diagnostics) (hcl.Blocks, hcl.Diagnostics) {
	seen := map[string]*hcl.Block{}
	var out hcl.Blocks
	for _, b := range blocks {
		if i := slices.Index(b.Labels, ""); i >= 0 {
			diags = append(diags, errorAt(&b.LabelRanges[i], "Invalid "+b.Type+" name",
				"A %s name must not be empty.", b.Type))
			continue
		}
		key := b.Type + "\x00" + strings.Join(b.Labels, "\x00")
		if first, dup := seen[key]; dup {
			diags = append(diags, duplicateBlock(b, first))
			continue
		}
		seen[key] = b
		out = append(out, b)
	}
	return out, diags
}

func duplicateBlock(b, first *hcl.Block) *hcl.Diagnostic {
	summary := "Duplicate " + b.Type + " block"
	if len(b.Labels) == 0 {
		return errorAt(&b.DefRange, summary,
			"Only one %s block is allowed; the first is on line %d.", b.Type, first.DefRange.Start.Line)
	}
	return errorAt(&b.DefRange, summary,
		"%s %q is already defined on line %d.", b.Type, b.Labels[0], first.DefRange.Start.Line)
}

// sortDiagnostics orders diags by position; those without one come first.
func sortDiagnostics(diags hcl.Diagnostics) {
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		switch {
		case a.Subject == nil && b.Subject == nil:
			return 0
		case a.Subject == nil:
			return -1
		case b.Subject == nil:
			return 1
		}
		return cmp.Or(
			cmp.Compare(a.Subject.Filename, b.Subject.Filename),
			cmp.Compare(a.Subject.Start.Byte, b.Subject.Start.Byte),
		)
	})
}
