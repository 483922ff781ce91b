//go:build linux

package cli

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/output"
)

// formatFlag is --format: one of the formats the command's report renders
// (its Formats), parsed once, when the flag is set.
type formatFlag struct {
	value   output.Format
	allowed []output.Format
}

// addFormatFlag registers --format on cmd for a report; its help lists the
// report's formats, the first being the default.
func addFormatFlag(cmd *cobra.Command, report output.Renderer) *formatFlag {
	f := &formatFlag{allowed: report.Formats()}
	f.value = f.allowed[0]
	cmd.Flags().Var(f, "format", "output format: "+output.FormatNames(f.allowed)+formatHelp(f.allowed))
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		names := make([]string, len(f.allowed))
		for i, a := range f.allowed {
			names[i] = string(a)
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return f
}

// formatHelp explains the formats that need it.
func formatHelp(allowed []output.Format) string {
	var notes string
	if slices.Contains(allowed, output.FormatNDJSON) {
		notes += "; ndjson: one probe.sample/v1 line per probe as it finishes"
	}
	if slices.Contains(allowed, output.FormatOpenMetrics) {
		notes += "; openmetrics: for node_exporter's textfile collector"
	}
	return notes
}

func (f *formatFlag) String() string { return string(f.value) }
func (f *formatFlag) Type() string   { return "format" }

// Set accepts one of the allowed formats; pflag puts the error after
// `invalid argument "xml" for "--format" flag: `.
func (f *formatFlag) Set(s string) error {
	if !slices.Contains(f.allowed, output.Format(s)) {
		return fmt.Errorf("want %s", output.FormatNames(f.allowed))
	}
	f.value = output.Format(s)
	return nil
}

// is reports whether the flag holds one of formats.
func (f *formatFlag) is(formats ...output.Format) bool { return slices.Contains(formats, f.value) }
