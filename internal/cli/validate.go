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
		Long: `Load FILE, start the plugins it uses and hand each its config, exactly as a
run would, then stop. Every problem is reported with its file:line:col.
Exit status 0 when the file is valid, 2 when it is not.`,
		Example: `  probe validate targets.hcl
  probe validate targets.hcl --var dns_server=127.0.0.1:5353`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := src.load(g, args[0])
			if err != nil {
				return err
			}
			infos, err := g.startPlugins(s)
			if err != nil {
				return err
			}
			names := make([]string, len(infos))
			for i, in := range infos {
				names[i] = in.Phase + "=" + in.Description.Name + " " + in.Description.Version
			}
			fmt.Fprintf(g.stdout, "%s: valid: %s, %s (%s)\n", args[0],
				plural(len(s.file.Targets), "target"), plural(len(infos), "plugin"), strings.Join(names, ", "))
			return nil
		},
	}
	src.register(cmd)
	return cmd
}

// startPlugins starts and configures the plugins s needs, then stops them.
// SIGINT and SIGTERM stop the start (exit 130) and every plugin with it.
func (g *globals) startPlugins(s *source) ([]session.Info, error) {
	ctx, stop := interruptible()
	defer stop()
	ps, err := g.startSession(ctx, s, plan.Build(s.file), nil)
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
