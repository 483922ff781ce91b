//go:build linux

package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/plan"
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
			s, err := rf.load(g, cmd, &src, fileArg(args))
			if err != nil {
				return err
			}
			return runReport(g, s, rf.format)
		},
	}
	src.register(cmd)
	rf.register(cmd, 0)
	return cmd
}

// runReport runs the targets and prints their statistics.
func runReport(g *globals, s *source, format string) error {
	res, err := g.execute(s, execOptions{progress: format != "json"})
	if err != nil {
		return err
	}
	report := output.NewReport(res.plan.Targets, stats.Aggregate(res.plan.TargetNames(), res.samples))
	report.Interrupted = res.interrupted
	report.Plugins = pluginProcesses(res.plugins)
	report.Insecure = output.InsecureTargets(res.samples)
	report.Version, report.Started = Version, res.started
	if err := write(g, format, report); err != nil {
		return exit(ExitRuntime, "writing output: %v", err)
	}
	return res.exitError()
}

// execOptions tune one execution of a plan.
type execOptions struct {
	run      runner.Options
	defaults map[string]map[string]any // plugin config defaults (runner.StartOptions)
	progress bool                      // may show a progress bar (table output only)
	onSample func(sample.Sample)       // called as each probe finishes, never concurrently
}

// execution is what running a plan produced.
type execution struct {
	plan        *plan.Plan
	started     time.Time // when the first probe began
	samples     []sample.Sample
	failed      bool // some probe failed
	interrupted bool // SIGINT or SIGTERM arrived
	plugins     []runner.Info
	applied     map[string]map[string]any
}

// exitError maps the outcome to the exit code; nil when all went well.
func (e *execution) exitError() error {
	switch {
	case e.interrupted:
		return exit(ExitInterrupted, "interrupted")
	case e.failed:
		return exit(ExitProbeFailed, "")
	}
	return nil
}

// execute starts the plugins for s, runs every round and collects the
// samples. SIGINT and SIGTERM stop the run; what finished is kept.
func (g *globals) execute(s *source, opts execOptions) (*execution, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := plan.Build(s.file)
	session, err := g.startSession(ctx, s, p, opts.defaults)
	defer session.Close()
	if err != nil {
		return nil, err
	}
	res := &execution{plan: p, applied: session.applied, started: time.Now()}
	bar := newProgress(g, p.Run.Count*len(p.Targets), opts.progress)
	runner.Run(ctx, p, session, opts.run, func(smp sample.Sample) {
		res.samples = append(res.samples, smp)
		res.failed = res.failed || !smp.OK()
		bar.add()
		if opts.onSample != nil {
			opts.onSample(smp)
		}
	})
	bar.finish()
	res.interrupted = ctx.Err() != nil
	res.plugins = session.Plugins()
	return res, nil
}

func write(g *globals, format string, r output.Report) error {
	if format == "json" {
		return output.WriteJSON(g.stdout, r)
	}
	return output.WriteTable(g.stdout, r)
}

// pluginProcesses describes the run's plugin processes for the report.
func pluginProcesses(infos []runner.Info) []output.Plugin {
	out := make([]output.Plugin, 0, len(infos))
	for _, in := range infos {
		source := "built-in"
		if in.Spec.Path != "" {
			source = in.Spec.Path
		}
		out = append(out, output.Plugin{Phase: in.Phase, Name: in.Description.Name, Version: in.Description.Version,
			Source: source, PID: in.PID, Restarts: in.Restarts})
	}
	return out
}
