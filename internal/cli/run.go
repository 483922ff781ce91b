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
	"github.com/probe-net/probe/core/session"
	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
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
  probe run targets.hcl --format ndjson | jq -c 'select(.ok | not)'
  probe run targets.hcl --format openmetrics > textfile/probe.prom.tmp; mv textfile/probe.prom.tmp textfile/probe.prom
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
	rf.register(cmd, 0, output.Report{})
	return cmd
}

// runReport runs the targets and prints their statistics.
func runReport(g *globals, s *source, format *formatFlag) error {
	res, err := g.execute(s, execOptions{format: format, progress: format.is(output.FormatTable),
		dropAttributes: !format.is(output.FormatJSON)})
	if err != nil {
		return err
	}
	report := output.NewReport(res.targets, res.stats)
	report.Interrupted = res.interrupted
	report.Plugins = pluginProcesses(res.plugins)
	report.Version, report.Started = Version, res.started
	return res.finish(g, report, format)
}

// execOptions tune one execution of a plan.
type execOptions struct {
	run      runner.Options
	defaults map[string]map[string]any // plugin config defaults (session.StartOptions)
	format   *formatFlag               // ndjson: a line per probe as it finishes
	progress bool                      // may show a progress bar (table output only)
	onSample func(sample.Sample)       // called as each probe finishes, never concurrently
	// keepSamples keeps every sample, for a document that lists every
	// probe (preconnect's JSON); otherwise only statistics are kept.
	keepSamples bool
	warm        bool // compare each target's cold first probe with the warm ones
	// dropAttributes keeps no attributes in the statistics, for a report
	// that shows none (stats.Options.DropAttributes).
	dropAttributes bool
}

// execution is what running a plan produced. Samples are folded into
// statistics as they arrive; none is kept unless execOptions asked.
type execution struct {
	plan        *plan.Plan
	targets     []sdk.Target
	started     time.Time      // when the first probe began
	stats       []stats.Target // per target, in plan order
	warmth      []stats.Warmth // with execOptions.warm
	samples     []sample.Sample
	last        *sample.Sample // the last probe to finish
	probes      int
	failed      bool // some probe failed
	interrupted bool // SIGINT or SIGTERM arrived
	streamErr   error
	plugins     []session.Info
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

// finish renders the report in the chosen format and returns the run's
// exit error.
func (e *execution) finish(g *globals, r output.Renderer, format *formatFlag) error {
	if err := g.render(r, format, e.streamErr); err != nil {
		return err
	}
	return e.exitError()
}

// render writes r in the chosen format; streamErr is a write error of the
// lines streamed during the run.
func (g *globals) render(r output.Renderer, format *formatFlag, streamErr error) error {
	err := streamErr
	if err == nil {
		err = r.Render(g.stdout, format.value, output.Options{Color: g.color})
	}
	if err != nil {
		return exit(ExitRuntime, "writing output: %v", err)
	}
	return nil
}

// execute starts the plugins for s, runs every round and folds the samples
// into statistics as they arrive. SIGINT and SIGTERM stop the run; what
// finished is kept.
func (g *globals) execute(s *source, opts execOptions) (*execution, error) {
	ctx, stop := interruptible()
	defer stop()
	p := plan.Build(s.file)
	p.Plugins = p.Needed()
	defer oneProcForSequentialRuns(p)()
	ps, err := g.startSession(ctx, s, p, opts.defaults)
	defer ps.Close()
	if err != nil {
		return nil, err
	}
	res := &execution{plan: p, targets: targetsOf(p), applied: ps.applied, started: time.Now()}
	bar := newProgress(g, p.Run.Count*len(p.Targets), opts.progress)
	acc, warm := stats.NewAccumulator(p.TargetNames(), stats.Options{DropAttributes: opts.dropAttributes}), stats.NewWarmAccumulator(nil)
	if opts.warm {
		warm = stats.NewWarmAccumulator(p.TargetNames())
	}
	runner.Run(ctx, p, ps, opts.run, res.collector(g, opts, bar, acc, warm))
	bar.finish()
	res.stats, res.warmth = acc.Targets(), warm.Warmth()
	res.plugins = ps.Plugins()
	// Stopping the plugins is bounded (a stopped or hung one is killed);
	// a signal during it still means the run was interrupted.
	ps.Close()
	res.interrupted = ctx.Err() != nil
	return res, nil
}

// interruptible returns a context that SIGINT and SIGTERM cancel.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// collector returns the emit callback of the run: it folds each sample into
// the statistics and the warm comparison, streams it as an NDJSON line when
// asked, and keeps it only when opts say so.
func (res *execution) collector(g *globals, opts execOptions, bar *progress, acc *stats.Accumulator, warm *stats.WarmAccumulator) func(sample.Sample) {
	var lines *output.SampleWriter
	if opts.format != nil && opts.format.is(output.FormatNDJSON) {
		lines = output.NewSampleWriter(g.stdout, res.targets)
	}
	return func(smp sample.Sample) {
		acc.Add(smp)
		warm.Add(smp)
		if lines != nil {
			lines.Write(smp)
			res.streamErr = lines.Err()
		}
		if opts.keepSamples {
			res.samples = append(res.samples, smp)
		}
		res.last = &smp
		res.probes++
		res.failed = res.failed || !smp.OK()
		bar.add()
		if opts.onSample != nil {
			opts.onSample(smp)
		}
	}
}

// targetsOf is what the reports show of each target of p.
func targetsOf(p *plan.Plan) []sdk.Target {
	out := make([]sdk.Target, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = t.Target
	}
	return out
}

// pluginProcesses describes the run's plugin processes for the report.
func pluginProcesses(infos []session.Info) []output.Plugin {
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
