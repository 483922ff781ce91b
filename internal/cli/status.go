//go:build linux

package cli

import "github.com/spf13/cobra"

// PLACEHOLDER: being written; replaced before it lands.
func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "status", Hidden: true, RunE: func(*cobra.Command, []string) error {
		return exit(ExitUsage, "not implemented yet")
	}}
}
