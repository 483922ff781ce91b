//go:build linux

package cli

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/plugins/registry"
)

func newWarmupCmd(g *globals) *cobra.Command {
	var src sourceFlags
	var rf runFlags
	reuse := true
	cmd := &cobra.Command{
		Use:   "warmup [FILE] [true|false]",
		Short: "Warm every target and show what warming saves, phase by phase",
		Long: `Probe every target once cold, then --count minus one more times warm, and
compare: each phase's cold time, its warm median, and what warming saved.

Warm means: the DNS plugin caches answers (TTL honoured), the TLS plugin
resumes sessions, and the HTTP plugin asks for keep-alive so the next probe
reuses the connection and skips dns, tcp and tls altogether. Each is turned on
only where the targets file leaves it unset, and each target's summary says
how many warm probes reused the connection, resumed TLS and hit the DNS cache,
so "warm" is never ambiguous. With --reuse=false every warm probe opens a new
connection, which shows what the DNS cache and TLS resumption alone save.

Targets are warmed in parallel; "false" as the last argument, or --sequential,
warms them one after another. "true" as the last argument asks for parallel
warming explicitly, even when the file's run block says sequential = true.`,
		Example: `  probe warmup targets.hcl
  probe warmup targets.hcl false          # sequentially
  probe warmup targets.hcl --count 10 --format json
  probe warmup targets.hcl --reuse=false  # new connections: DNS cache and TLS resumption only`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, parallel, err := warmupArgs(args)
			if err != nil {
				return err
			}
			if parallel != nil && cmd.Flags().Changed("sequential") && *parallel == rf.sequential {
				return exit(ExitUsage, "warmup: the last argument %q and --sequential=%t disagree; give one of them", args[len(args)-1], rf.sequential)
			}
			s, err := rf.load(g, cmd, &src, path)
			if err != nil {
				return err
			}
			if parallel != nil {
				s.file.Run.Sequential = !*parallel
			}
			return warmup(g, s, rf.format, reuse)
		},
	}
	cmd.ValidArgsFunction = completeWarmupArgs
	src.register(cmd)
	rf.register(cmd, 4, output.WarmReport{})
	cmd.Flags().BoolVar(&reuse, "reuse", true, "start warm probes on the connection kept from the previous probe")
	return cmd
}

// warmupArgs splits [FILE] [true|false], the guide's parallel argument: a
// last argument of "false" warms the targets one after another, "true" in
// parallel (the default, and over run.sequential in the file). parallel is
// nil when neither is given.
func warmupArgs(args []string) (path string, parallel *bool, err error) {
	if n := len(args); n > 0 && (args[n-1] == "false" || args[n-1] == "true") {
		p := args[n-1] == "true"
		parallel = &p
		args = args[:n-1]
	}
	if len(args) > 1 {
		return "", nil, exit(ExitUsage, "warmup takes [FILE] [true|false], got %q", args)
	}
	return fileArg(args), parallel, nil
}

func warmup(g *globals, s *source, format *formatFlag, reuse bool) error {
	if s.file.Run.Count < 2 {
		return exit(ExitUsage, "--count must be at least 2: one cold probe and one or more warm ones")
	}
	defaults := registry.WarmDefaults(reuse)
	res, err := g.execute(s, execOptions{run: runner.Options{Reuse: reuse}, defaults: defaults, format: format,
		progress: format.is(output.FormatTable), warm: true})
	if err != nil {
		return err
	}
	report := output.WarmReport{
		Targets:     res.targets,
		Warmth:      res.warmth,
		Features:    features(res.applied),
		Interrupted: res.interrupted,
		Stats:       res.stats,
	}
	return res.finish(g, report, format)
}

// features lists the warm defaults that were applied, in a stable order.
func features(applied map[string]map[string]any) []string {
	var out []string
	for phase, attrs := range applied {
		for attr := range attrs {
			name, ok := registry.WarmFeature(phase, attr)
			if !ok {
				name = fmt.Sprintf("%s %s", phase, attr)
			}
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// completeWarmupArgs completes [FILE] [true|false]: a targets file, then
// the parallel argument.
func completeWarmupArgs(cmd *cobra.Command, args []string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) == 1 && args[0] != "true" && args[0] != "false" {
		return []cobra.Completion{"true", "false"}, cobra.ShellCompDirectiveNoFileComp
	}
	return completeTargetsFile(cmd, args, prefix)
}
