//go:build linux

package cli

import "github.com/spf13/cobra"

// PLACEHOLDER: being written; replaced before it lands.
func newPreconnectCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "preconnect", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return exit(ExitUsage, "not implemented yet")
	}}
}
