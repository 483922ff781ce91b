//go:build linux

package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/targets"
	"github.com/probe-net/probe/plugins/registry"
)

// Shell completion (`probe completion bash|zsh|fish|powershell`, cobra's
// generator) completes targets files, --target names from the file given,
// and probe test's PROTO; --format completes its values (addFormatFlag).

// targetsFileExts are what a targets file's name ends in.
var targetsFileExts = []string{"hcl", "json"}

// completeTargetsFile completes a FILE argument with *.hcl and *.json
// files, once: after it, only flags.
func completeTargetsFile(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return targetsFileExts, cobra.ShellCompDirectiveFilterFileExt
}

// completeTargetNames completes --target with the names the FILE argument
// declares (the built-in list's without one). Nothing is evaluated, so a
// file whose variables are not set yet still completes.
func completeTargetNames(_ *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var names []string
	switch path := fileArg(args); path {
	case "":
		for _, t := range targets.Defaults {
			names = append(names, t.Name)
		}
	case "-":
	default:
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names = config.DeclaredTargets(path, src)
	}
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeTestArgs completes probe test's PROTO; HOST and PORT are free.
func completeTestArgs(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 2 {
		return registry.ProtocolNames(), cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}
