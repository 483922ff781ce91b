//go:build linux

package cli

import (
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/session"
)

func newPluginsCmd(g *globals) *cobra.Command {
	var src sourceFlags
	var format *formatFlag
	cmd := &cobra.Command{
		Use:   "plugins [FILE]",
		Short: "List the plugins a targets file uses, with their versions and paths",
		Long: `Start the plugins FILE (or the built-in default list) would use, ask each what
it is, and list them: the phase it serves, its name and version, and where it
comes from (a built-in served by this probe binary, or an executable).
--format json adds each plugin's summary and config schema ("schema":
"probe.plugins/v1", published in docs/schema).`,
		Example: `  probe plugins targets.hcl
  probe plugins examples/static-hosts.hcl --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := src.load(g, fileArg(args))
			if err != nil {
				return err
			}
			infos, err := g.startPlugins(s, plan.Build(s.file))
			if err != nil {
				return err
			}
			return g.render(pluginsReport(infos), format, nil)
		},
	}
	src.register(cmd)
	format = addFormatFlag(cmd, output.PluginsReport{})
	return cmd
}

// pluginsReport describes the plugins for the report.
func pluginsReport(infos []session.Info) output.PluginsReport {
	var r output.PluginsReport
	for _, in := range infos {
		p := output.PluginInfo{Phase: in.Phase, Name: in.Description.Name, Version: in.Description.Version,
			Source: pluginSource(in), Path: in.Spec.Path, Summary: in.Description.Summary}
		for _, a := range in.Description.Schema {
			p.Config = append(p.Config, output.ConfigAttribute{Name: a.Name, Type: a.Type.String(), Required: a.Required, Description: a.Description, Path: a.Path})
		}
		r.Plugins = append(r.Plugins, p)
	}
	return r
}

func pluginSource(in session.Info) string {
	if in.Spec.Path != "" {
		return in.Spec.Path
	}
	b := in.Spec.Builtin
	if b == "" {
		b = in.Phase
	}
	return "built-in " + b
}
