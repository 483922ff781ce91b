//go:build linux

package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/pluginhost"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/internal/wire"
)

const pluginProtocol = wire.ProtocolVersion

type runFlags struct {
	format string
	vars   []string
	count  int
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Probe every target in a targets file and print per-phase statistics",
		Example: `  probe run targets.hcl
  probe run targets.hcl --count 20 --format json
  probe run targets.hcl --var dns_server=127.0.0.1:5353`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFile(g, f, args[0])
		},
	}
	cmd.Flags().StringVar(&f.format, "format", "table", "output format: table or json")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable declared in the file: NAME=VALUE (repeatable)")
	cmd.Flags().IntVar(&f.count, "count", 0, "probes per target (overrides run.count)")
	return cmd
}

func runFile(g *globals, f *runFlags, path string) error {
	if f.format != "table" && f.format != "json" {
		return exit(ExitUsage, "--format must be table or json, not %q", f.format)
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return exit(ExitUsage, "%v", err)
	}
	loader := config.NewLoader()
	file, diags := loader.Load(path, config.LoadOptions{Vars: vars})
	if diags.HasErrors() {
		_ = loader.WriteDiagnostics(g.stderr, diags, false)
		return exit(ExitUsage, "")
	}
	if len(file.Targets) == 0 {
		return exit(ExitUsage, "%s declares no targets", path)
	}
	if f.count < 0 {
		return exit(ExitUsage, "--count must be at least 1")
	}
	if f.count > 0 {
		file.Run.Count = f.count
	}
	p := plan.Build(file)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	samples, code, err := execute(ctx, g, loader, p)
	if err != nil {
		return err
	}
	report := output.NewReport(p.Targets, stats.Aggregate(p.TargetNames(), samples))
	report.Interrupted = ctx.Err() != nil
	if err := write(g, f.format, report); err != nil {
		return exit(ExitRuntime, "writing output: %v", err)
	}
	if report.Interrupted {
		return exit(ExitInterrupted, "interrupted")
	}
	if code != ExitOK {
		return exit(code, "")
	}
	return nil
}

// execute starts the plugins, runs the plan and collects its samples.
func execute(ctx context.Context, g *globals, loader *config.Loader, p *plan.Plan) ([]sample.Sample, int, error) {
	session, diags := runner.Start(ctx, p, pluginhost.Options{Logger: g.logger()})
	defer session.Close()
	if diags.HasErrors() {
		_ = loader.WriteDiagnostics(g.stderr, diags, false)
		if hasSubject(diags) {
			return nil, 0, exit(ExitUsage, "")
		}
		return nil, 0, exit(ExitRuntime, "")
	}
	var samples []sample.Sample
	code := ExitOK
	runner.Run(ctx, p, session, func(s sample.Sample) {
		samples = append(samples, s)
		if !s.OK() {
			code = ExitProbeFailed
		}
	})
	return samples, code, nil
}

func write(g *globals, format string, r output.Report) error {
	if format == "json" {
		return output.WriteJSON(g.stdout, r)
	}
	return output.WriteTable(g.stdout, r)
}

func parseVars(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want NAME=VALUE", kv)
		}
		out[name] = value
	}
	return out, nil
}
