//go:build linux

package cli

import (
	"context"
	"os"
	"os/signal"
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

func newRunCmd(g *globals) *cobra.Command {
	var src sourceFlags
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "run [FILE]",
		Short: "Probe every target and print per-phase statistics",
		Long: `Probe every target of FILE (or, without FILE, the built-in default list) and
print per-phase statistics. Targets in PRECONNECT_HOSTS="host:port:proto,..." are
added to either.`,
		Example: `  probe run targets.hcl
  probe run targets.hcl --count 20 --format json
  probe run targets.hcl --target api --sequential --timeout 2s
  probe run targets.hcl --var dns_server=127.0.0.1:5353`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := src.load(g, fileArg(args))
			if err != nil {
				return err
			}
			if err := rf.apply(cmd, s.file); err != nil {
				return err
			}
			return runReport(g, s, rf.format)
		},
	}
	src.register(cmd)
	rf.register(cmd, 0)
	return cmd
}

// runReport runs the plan and prints its statistics.
func runReport(g *globals, s *source, format string) error {
	p := plan.Build(s.file)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	samples, code, err := execute(ctx, g, s.loader, p, runner.Options{})
	if err != nil {
		return err
	}
	report := output.NewReport(p.Targets, stats.Aggregate(p.TargetNames(), samples))
	report.Interrupted = ctx.Err() != nil
	if err := write(g, format, report); err != nil {
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
func execute(ctx context.Context, g *globals, loader *config.Loader, p *plan.Plan, opts runner.Options) ([]sample.Sample, int, error) {
	session, diags := runner.Start(ctx, p, pluginhost.Options{Logger: g.logger()})
	defer session.Close()
	if diags.HasErrors() {
		_ = loader.WriteDiagnostics(g.stderr, diags, g.color)
		if hasSubject(diags) {
			return nil, 0, exit(ExitUsage, "")
		}
		return nil, 0, exit(ExitRuntime, "")
	}
	var samples []sample.Sample
	code := ExitOK
	runner.Run(ctx, p, session, opts, func(s sample.Sample) {
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
