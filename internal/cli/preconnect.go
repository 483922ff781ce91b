//go:build linux

package cli

import (
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/runner"
	"github.com/probe-net/probe/core/sample"
)

func newPreconnectCmd(g *globals) *cobra.Command {
	var src sourceFlags
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "preconnect [FILE]",
		Short: "Connect to every target once, printing each phase as it completes",
		Long: `Connect to every target of FILE (or, without FILE, the built-in default list,
plus PRECONNECT_HOSTS) and print each phase as it completes: the target, the
phase, ok / FAILED / skipped, the phase's own time, and one detail:

  dns    the addresses found          tcp   the remote address
  tls    version and cipher (resumed) http  protocol and status
  other  its first attributes; a failure: its cause; skipped: why

A "total" line closes each probe: the sum of its phases, and "connected" or
"failed at PHASE" (a probe cut short by an interruption gets none). Targets are probed in parallel, so the lines of different
targets interleave; each starts with the target's name. --sequential probes
them one after another. --count N connects N times (names then carry the
round, "web #2").

--format json prints nothing while probing and one document at the end
("schema": "probe.preconnect/v1"): one entry per probe (name, host, port,
protocol, round, ok, total_ms, failed_phase, phases), each phase with phase,
plugin, status, duration_ms (null when it did not run), detail, error ({kind,
message} or null) and attributes; then the counts connected and failed.
--format ndjson prints one probe.sample/v1 object per line as each probe
finishes. The layouts are published in docs/schema.

Exit status:
  0    every probe connected
  1    at least one probe failed
  2    bad usage, targets file or plugin config
  3    probe could not run (a plugin failed to start, an I/O error)
  130  interrupted (SIGINT/SIGTERM)`,
		Example: `  probe preconnect targets.hcl
  probe preconnect targets.hcl --sequential --timeout 2s
  probe preconnect targets.hcl --target api --count 3
  probe preconnect targets.hcl --format json | jq '.targets[] | {name, ok, failed_phase}'
  probe preconnect targets.hcl --format ndjson | jq -r 'select(.ok | not) | .target'
  PRECONNECT_HOSTS=10.0.0.5:5432:tcp probe preconnect targets.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := rf.load(g, cmd, &src, fileArg(args))
			if err != nil {
				return err
			}
			return preconnect(g, s, rf.format)
		},
	}
	src.register(cmd)
	rf.register(cmd, 1, output.PreconnectReport{})
	return cmd
}

// preconnect probes the targets, streaming phase lines for the table
// format (or sample lines for ndjson), or printing one JSON document at the
// end.
func preconnect(g *globals, s *source, format *formatFlag) error {
	opts := execOptions{format: format, keepSamples: format.is(output.FormatJSON)}
	var lines *output.PreconnectWriter
	if format.is(output.FormatTable) {
		lines = phaseLines(g, s, &opts)
	}
	res, err := g.execute(s, opts)
	if err != nil {
		return err
	}
	if lines != nil && res.streamErr == nil {
		res.streamErr = lines.Err()
	}
	report := output.PreconnectReport{Targets: res.targets, Stats: res.stats, Samples: res.samples, Interrupted: res.interrupted}
	return res.finish(g, report, format)
}

// phaseLines sets opts up to print a line per phase as it completes and a
// closing line per probe.
func phaseLines(g *globals, s *source, opts *execOptions) *output.PreconnectWriter {
	p := plan.Build(s.file)
	var phases []string
	for _, t := range p.Targets {
		phases = append(phases, t.Phases...)
	}
	pw := output.NewPreconnectWriter(g.stdout, p.TargetNames(), phases, s.file.Run.Count, output.Options{Color: g.color})
	opts.run = runner.Options{OnPhase: func(t plan.Target, round int, ph sample.Phase) {
		pw.Phase(output.PhaseEvent{Target: t.Name, Round: round, Phase: ph})
	}}
	opts.onSample = pw.Done
	return pw
}
