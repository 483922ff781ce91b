//go:build linux

package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/runner"
)

func newPluginsCmd(g *globals) *cobra.Command {
	var src sourceFlags
	var format string
	cmd := &cobra.Command{
		Use:   "plugins [FILE]",
		Short: "List the plugins a targets file uses, with their versions and paths",
		Long: `Start the plugins FILE (or the built-in default list) would use, ask each what
it is, and list them: the phase it serves, its name and version, and where it
comes from (a built-in served by this probe binary, or an executable).`,
		Example: `  probe plugins targets.hcl
  probe plugins examples/static-hosts.hcl --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return exit(ExitUsage, "--format must be table or json, not %q", format)
			}
			s, err := src.load(g, fileArg(args))
			if err != nil {
				return err
			}
			infos, err := g.startPlugins(s)
			if err != nil {
				return err
			}
			if format == "json" {
				return writePluginsJSON(g, infos)
			}
			return writePluginsTable(g, infos)
		},
	}
	src.register(cmd)
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func pluginSource(in runner.Info) string {
	if in.Spec.Path != "" {
		return in.Spec.Path
	}
	b := in.Spec.Builtin
	if b == "" {
		b = in.Phase
	}
	return "built-in " + b
}

// writePluginsTable lists the plugins; summaries and config schemas are in
// the JSON form, which has room for them.
func writePluginsTable(g *globals, infos []runner.Info) error {
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tPLUGIN\tVERSION\tSOURCE")
	for _, in := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", in.Phase, in.Description.Name, in.Description.Version, shortPath(pluginSource(in)))
	}
	return tw.Flush()
}

// shortPath shows an absolute path relative to the working directory when
// it lies below it.
func shortPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

type pluginJSON struct {
	Phase   string       `json:"phase"`
	Name    string       `json:"name"`
	Version string       `json:"version"`
	Source  string       `json:"source"`
	Path    string       `json:"path,omitempty"`
	Summary string       `json:"summary,omitempty"`
	Config  []configAttr `json:"config"`
}

type configAttr struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Description string `json:"description,omitempty"`
}

func writePluginsJSON(g *globals, infos []runner.Info) error {
	doc := struct {
		Schema  string       `json:"schema"`
		Plugins []pluginJSON `json:"plugins"`
	}{Schema: "probe.plugins/v1", Plugins: []pluginJSON{}}
	for _, in := range infos {
		p := pluginJSON{Phase: in.Phase, Name: in.Description.Name, Version: in.Description.Version,
			Source: pluginSource(in), Path: in.Spec.Path, Summary: in.Description.Summary, Config: []configAttr{}}
		for _, a := range in.Description.Schema {
			p.Config = append(p.Config, configAttr{Name: a.Name, Type: a.Type.String(), Required: a.Required, Description: a.Description})
		}
		doc.Plugins = append(doc.Plugins, p)
	}
	return output.EncodeJSON(g.stdout, doc)
}
