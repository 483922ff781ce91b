//go:build linux

package cli

import (
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/output"
	"github.com/probe-net/probe/core/stats"
)

func newStatusCmd(g *globals) *cobra.Command {
	var strict bool
	var src sourceFlags
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "status [FILE]",
		Short: "Show whether each target is up, degraded or down, and why",
		Long: `Probe every target of FILE (or, without FILE, the built-in default list, plus
PRECONNECT_HOSTS) a few times and print one line per target: its status, its
address, how many probes succeeded and the total connect time (the sum of its
phases: p50, p90 and max in ms, over successful probes). Under a target that
failed, a line names the phase and the cause, e.g.
"dns: nxdomain: missing.example does not exist".

Statuses, judged from the target's probes in order:
  up        every probe succeeded
  degraded  the most recent probe succeeded, but an earlier one failed
  down      the most recent probe failed
  unknown   no probe finished (the run was interrupted first)

--count sets how many probes each target gets (default: run.count from the
file when it is above 1, else 3). Colour (green up, yellow degraded, red down) is used only on a terminal
with NO_COLOR unset.

--format json prints one document ("schema": "probe.status/v1"): per target
name, host, port, protocol, status, probes, ok, last_error ({phase, kind,
message} of its most recent failed probe, or null) and total (count, ok,
failed, min_ms, mean_ms, p50_ms, p90_ms, p99_ms, max_ms, ...); then the counts
up, degraded, down and unknown, which add up to the number of targets.
--format ndjson prints one probe.sample/v1 object per line as each probe
finishes. The layouts are published in docs/schema.

Exit status:
  0    every target is reachable: its most recent probe succeeded (up or degraded);
       with --strict, every target is up
  1    some target is down (with --strict: down or degraded)
  2    bad usage, targets file or plugin config
  3    probe could not run (a plugin failed to start, an I/O error)
  130  interrupted (SIGINT/SIGTERM); the status covers the probes that finished
       (a probe cut short by the interruption is not counted)`,
		Example: `  probe status targets.hcl
  probe status targets.hcl --count 10 --interval 200ms
  probe status targets.hcl --target api --timeout 2s
  probe status targets.hcl --strict       # for alerting: degraded fails too
  probe status targets.hcl --format json | jq -r '.targets[] | select(.status == "down") | .name'
  PRECONNECT_HOSTS=db.internal:5432:tcp probe status targets.hcl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := rf.load(g, cmd, &src, fileArg(args))
			if err != nil {
				return err
			}
			return statusReport(g, s, rf.format, strict)
		},
	}
	src.register(cmd)
	rf.register(cmd, 3, output.StatusReport{})
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 unless every target is up (degraded counts as failing)")
	return cmd
}

// statusReport probes the targets and prints each one's status.
func statusReport(g *globals, s *source, format *formatFlag, strict bool) error {
	res, err := g.execute(s, execOptions{format: format})
	if err != nil {
		return err
	}
	report := output.NewStatusReport(res.targets, res.stats)
	report.Interrupted = res.interrupted
	if err := g.render(report, format, res.streamErr); err != nil {
		return err
	}
	switch {
	case res.interrupted:
		return exit(ExitInterrupted, "interrupted")
	case !stats.AllReachable(res.stats):
		return exit(ExitProbeFailed, "")
	case strict && stats.Count(res.stats, stats.StatusUp) != len(res.stats):
		return exit(ExitProbeFailed, "")
	}
	return nil
}
