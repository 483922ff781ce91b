//go:build linux

package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
)

func newFmtCmd(g *globals) *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "fmt FILE...",
		Short: "Rewrite targets files in canonical HCL layout",
		Long: `Rewrite each FILE in HCL's canonical layout (aligned "=", two-space indent),
printing the names of the files it changed. With "-" read standard input and
write the result to standard output.

With --check nothing is written: the files that are not formatted are listed,
and the exit status is 1 if there are any (for CI). A file that does not
parse is reported with its position and exit status 2.`,
		Example: `  probe fmt targets.hcl
  probe fmt --check examples/*.hcl
  cat targets.hcl | probe fmt -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			unformatted := 0
			for _, path := range args {
				changed, err := formatFile(g, path, check)
				if err != nil {
					return err
				}
				if changed {
					unformatted++
					fmt.Fprintln(g.stdout, path)
				}
			}
			if check && unformatted > 0 {
				return exit(ExitProbeFailed, "%d file(s) not formatted; run 'probe fmt' on them", unformatted)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "only list files that are not formatted; exit 1 if any")
	return cmd
}

// formatFile formats one file (or stdin for "-") and reports whether its
// content differed from the canonical layout.
func formatFile(g *globals, path string, check bool) (bool, error) {
	src, err := readSource(path)
	if err != nil {
		return false, exit(ExitUsage, "%v", err)
	}
	if _, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos); diags.HasErrors() {
		loader := config.NewLoader()
		_, _ = loader.LoadSource(path, src, config.LoadOptions{})
		_ = loader.WriteDiagnostics(g.stderr, diags, g.colorErr)
		return false, exit(ExitUsage, "")
	}
	out := config.Format(src)
	if path == "-" {
		_, err := g.rawStdout.Write(out)
		return false, err
	}
	changed := !bytes.Equal(src, out)
	if changed && !check {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return false, exit(ExitRuntime, "%v", err)
		}
	}
	return changed, nil
}

func readSource(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}
