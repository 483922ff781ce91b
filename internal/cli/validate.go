//go:build linux

package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/session"
)

func newValidateCmd(g *globals) *cobra.Command {
	var src sourceFlags
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a targets file, including each plugin's config, without probing",
		Long: `Load FILE, start every plugin it declares or uses — a plugin block no target
uses too — and hand each its config, exactly as a run would, then stop. Every
problem is reported with its file:line:col. With "-" read the file from
standard input (relative paths are then relative to the working directory).
Exit status 0 when the file is valid, 2 when it is not.`,
		Example: `  probe validate targets.hcl
  probe validate targets.hcl --var dns_server=127.0.0.1:5353
  generate-targets | probe validate -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := src.load(g, args[0])
			if err != nil {
				return err
			}
			infos, err := g.startPlugins(s, plan.BuildAll(s.file))
			if err != nil {
				return err
			}
			names := make([]string, len(infos))
			for i, in := range infos {
				names[i] = in.Phase + "=" + in.Description.Name + " " + in.Description.Version
			}
			name := args[0]
			if name == "-" {
				name = stdinName
			}
			fmt.Fprintf(g.stdout, "%s: valid: %s, %s (%s)\n", name,
				plural(len(s.file.Targets), "target"), plural(len(infos), "plugin"), strings.Join(names, ", "))
			return nil
		},
	}
	src.register(cmd)
	return cmd
}

// startPlugins starts and configures p's plugins, then stops them.
// SIGINT and SIGTERM stop the start (exit 130) and every plugin with it.
func (g *globals) startPlugins(s *source, p *plan.Plan) ([]session.Info, error) {
	ctx, stop := interruptible()
	defer stop()
	ps, err := g.startSession(ctx, s, p, nil)
	if err != nil {
		ps.Close()
		return nil, err
	}
	infos := ps.Plugins()
	ps.Close()
	if ctx.Err() != nil {
		return nil, exit(ExitInterrupted, "interrupted")
	}
	return infos, nil
}

// plural returns "1 target", "3 targets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
