//go:build linux

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/internal/safetext"
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
and the exit status is 1 if there are any (for CI). Every file is tried: one
that does not parse is reported with its position, the others are still
formatted, and the exit status is 2 (3 when a file cannot be written).`,
		Example: `  probe fmt targets.hcl
  probe fmt --check examples/*.hcl
  cat targets.hcl | probe fmt -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			unformatted, failed, code := 0, 0, ExitOK
			for _, path := range args {
				changed, err := formatFile(g, path, check)
				if err != nil {
					failed++
					code = max(code, reportFmtError(g, err))
					continue
				}
				if changed {
					unformatted++
					fmt.Fprintln(g.stdout, path)
				}
			}
			switch {
			case failed > 0:
				return exit(code, "%s of %d could not be formatted", plural(failed, "file"), len(args))
			case check && unformatted > 0:
				return exit(ExitProbeFailed, "%d file(s) not formatted; run 'probe fmt' on them", unformatted)
			}
			return nil
		},
	}
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return targetsFileExts, cobra.ShellCompDirectiveFilterFileExt
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

// reportFmtError prints one file's failure and returns its exit code.
func reportFmtError(g *globals, err error) int {
	var ee *exitError
	if !errors.As(err, &ee) {
		fmt.Fprintln(g.stderr, "probe:", safetext.EscapeLines(err.Error()))
		return ExitRuntime
	}
	if msg := ee.err.Error(); msg != "" {
		fmt.Fprintln(g.stderr, "probe:", safetext.EscapeLines(msg))
	}
	return ee.code
}

func readSource(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}
