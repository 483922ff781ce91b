//go:build linux

package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/exporter"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/scheduler"
	"github.com/probe-net/probe/core/surfacer"
	"github.com/probe-net/probe/core/targets"
)

// DefaultListenAddress is where serve listens unless --web.listen-address
// says otherwise. Prometheus' registry of exporter ports (9100-9999) is
// full, so this one is not registered; it is not blackbox_exporter's 9115,
// so both can run on one host.
const DefaultListenAddress = ":9716"

type serveFlags struct {
	listen    string
	webConfig string
	logLevel  string
	logFormat string
	adhoc     bool
}

func newServeCmd(g *globals) *cobra.Command {
	var src sourceFlags
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [FILE]",
		Short: "Probe every target continuously and export the results for Prometheus",
		Long: `Probe every target of FILE on a schedule, forever, and export per-phase
histograms, counters and blackbox_exporter-compatible gauges at /metrics for
Prometheus to scrape.

Each target is probed every run.interval (15s when unset); the first probes
are spread over the first interval; at most run.concurrency probes run at once.
The serve block of FILE adds a warm mode per target (connection reuse, TLS
resumption, DNS cache; mode="warm") and shapes the histograms.

Endpoints: / (links), /metrics, /-/healthy, /-/ready (200 once every target
was probed once), POST /-/reload, /probe?target=NAME (one probe now, as
blackbox_exporter's multi-target pattern). SIGHUP reloads too. A reload
checks the new file and starts its plugins first; if anything fails, probing
goes on with the old file and probe_config_last_reload_successful is 0.

A plugin that crashes is restarted, with backoff, however often it crashes.
SIGINT or SIGTERM: in-flight probes finish within their budget, exit 0.`,
		Example: `  probe serve targets.hcl
  probe serve targets.hcl --web.listen-address 127.0.0.1:9716 --log.format json
  probe serve targets.hcl --web.config.file web.yml   # TLS and basic auth
  curl -X POST localhost:9716/-/reload`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return serve(g, &src, &f, fileArg(args))
		},
	}
	src.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "web.listen-address", DefaultListenAddress, "address to listen on for /metrics and the other endpoints")
	fl.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web config file: TLS and basic auth (see https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md)")
	fl.StringVar(&f.logLevel, "log.level", "info", "log level: debug, info, warn, error")
	fl.StringVar(&f.logFormat, "log.format", "text", "log format: text or json")
	fl.BoolVar(&f.adhoc, "probe.allow-adhoc", false, `let /probe?target=host:port:proto probe targets the file does not name (off: an open prober is an SSRF tool)`)
	return cmd
}

// exporterState is the state of a running `probe serve`.
type exporterState struct {
	g     *globals
	src   *sourceFlags
	path  string
	flags *serveFlags
	log   hclog.Logger
	surf  *surfacer.Surfacer
	inv   *surfacer.Inventory

	reloadMu sync.Mutex // one reload at a time

	mu    sync.Mutex
	gen   *generation
	stop  context.CancelFunc // stops gen's schedule
	done  chan struct{}      // closed when gen's schedule has stopped
	ready bool
}

func serve(g *globals, src *sourceFlags, f *serveFlags, path string) error {
	log, err := serveLogger(f.logLevel, f.logFormat, g.stderr)
	if err != nil {
		return exit(ExitUsage, "%v", err)
	}
	g.log, g.foreverRestarts = log, true
	if f.webConfig != "" {
		if err := exporter.ValidateWebConfig(f.webConfig); err != nil {
			return exit(ExitUsage, "--web.config.file %s: %v", f.webConfig, err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	gen, err := loadGeneration(ctx, g, src, path)
	if err != nil {
		return err
	}
	s := &exporterState{g: g, src: src, path: path, flags: f, log: log, inv: surfacer.NewInventory(Version, pluginProtocol)}
	s.surf = surfacer.New(surfacer.Options{Buckets: gen.file.Serve.BucketBounds(), NativeBucketFactor: gen.file.Serve.BucketFactor()})
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		gen.close()
		return exit(ExitRuntime, "--web.listen-address %s: %v", f.listen, err)
	}
	s.start(gen)
	served := s.listen(ctx, ln)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			_ = s.reload(ctx) // logged, and exported as probe_config_last_reload_successful
			continue
		case err = <-served:
		case <-ctx.Done():
			err = <-served
		}
		break
	}
	s.shutdown()
	if err != nil {
		return exit(ExitRuntime, "serving HTTP: %v", err)
	}
	log.Info("stopped")
	return nil
}

// listen serves the endpoints on ln until ctx ends; the channel gets
// Serve's result.
func (s *exporterState) listen(ctx context.Context, ln net.Listener) <-chan error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.surf, s.inv,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	out := make(chan error, 1)
	h, err := exporter.Handler(exporter.Options{
		Gatherer: reg, Registerer: reg,
		Ready:         s.notReady,
		Reload:        s.reload,
		Probe:         s.probeNow,
		TimeoutOffset: func() time.Duration { return s.current().file.Serve.Offset() },
		Version:       Version,
		Logger:        newSlog(s.log.Named("web")),
	})
	if err != nil {
		out <- err
		return out
	}
	s.log.Info("serving", "address", ln.Addr().String(), "targets", len(s.current().plan.Targets))
	go func() {
		out <- exporter.Serve(ctx, ln, h, s.flags.webConfig, 5*time.Second, newSlog(s.log.Named("web")))
	}()
	return out
}

func (s *exporterState) current() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// start makes gen current and starts its schedule; the schedule of the
// generation it replaces, if any, is stopped (its probes in flight finish)
// and its plugins closed. /probe requests that began on the old generation
// keep its plugins until they end.
func (s *exporterState) start(gen *generation) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.mu.Lock()
	old, stopOld, oldDone := s.gen, s.stop, s.done
	s.gen, s.stop, s.done = gen, cancel, done
	s.mu.Unlock()
	s.inv.Loaded(gen.inventoryTargets(), gen.plugins)
	interval := gen.plan.Run.Interval
	if interval <= 0 {
		interval = config.DefaultServeInterval
	}
	concurrency := gen.plan.Run.Concurrency
	if gen.plan.Run.Sequential {
		concurrency = 1
	}
	go func() {
		defer close(done)
		_ = scheduler.Run(ctx, gen.jobs, scheduler.Options{
			Interval: interval, Concurrency: concurrency,
			Emit:  s.emit,
			Ready: s.markReady,
		})
	}()
	if old != nil {
		stopOld()
		<-oldDone
		old.close()
	}
	// After the old probes have emitted, so that none brings back a
	// removed target's series.
	s.surf.Retain(gen.keys())
}

// halt stops the current schedule, waits for its probes in flight, and
// stops its plugins.
func (s *exporterState) halt() {
	s.mu.Lock()
	gen, stop, done := s.gen, s.stop, s.done
	s.mu.Unlock()
	stop()
	<-done
	gen.close()
}

func (s *exporterState) shutdown() {
	s.log.Info("stopping: letting probes in flight finish")
	s.halt()
}

func (s *exporterState) emit(job scheduler.Job, smp sample.Sample) {
	s.surf.Observe(job.Mode, smp)
	if f := smp.Failure(); f != nil && s.log.IsDebug() {
		s.log.Debug("probe failed", "target", smp.Target, "mode", job.Mode, "phase", f.Name, "kind", errorKind(f), "error", errorMessage(f))
	}
}

func errorKind(p *sample.Phase) string {
	if p.Error == nil {
		return "unknown"
	}
	return string(p.Error.Kind)
}

func errorMessage(p *sample.Phase) string {
	if p.Error == nil {
		return ""
	}
	return p.Error.Message
}

func (s *exporterState) markReady() {
	s.mu.Lock()
	first := !s.ready
	s.ready = true
	s.mu.Unlock()
	if first {
		s.log.Info("ready: every target has been probed once")
	}
}

func (s *exporterState) notReady() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		return "not every target has been probed once yet"
	}
	return ""
}

// reload loads the file again and, when it and its plugins are good,
// swaps it in; otherwise probing goes on with the old one.
func (s *exporterState) reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	s.log.Info("reloading", "file", s.path)
	gen, err := reloadGeneration(ctx, s.g, s.src, s.path)
	if err == nil && !gen.file.Serve.SameHistograms(s.current().file.Serve) {
		gen.close()
		err = errors.New("serve.buckets or serve.native_bucket_factor changed: histograms keep their shape while the process runs; restart probe serve to change them")
	}
	if err != nil {
		s.inv.Failed()
		s.log.Error("reload failed; probing goes on with the previous file", "error", err.Error())
		return err
	}
	s.start(gen)
	s.log.Info("reloaded", "targets", len(gen.plan.Targets))
	return nil
}

// probeNow serves /probe: one probe of a target of the file (or, with
// --probe.allow-adhoc, of host:port:proto) within timeout.
func (s *exporterState) probeNow(ctx context.Context, name string, timeout time.Duration) (prometheus.Gatherer, error) {
	s.mu.Lock()
	gen := s.gen
	gen.users.Add(1)
	s.mu.Unlock()
	defer gen.users.Done()
	t, err := s.probeTarget(gen, name)
	if err != nil {
		return nil, err
	}
	if timeout > 0 && timeout < t.Timeout {
		t.Timeout = timeout
	}
	smp := gen.oneShot.Probe(ctx, t, 0)
	return surfacer.OneShot(smp, t.Timeout), nil
}

func (s *exporterState) probeTarget(gen *generation, name string) (plan.Target, error) {
	if t, ok := gen.target(name); ok {
		return t, nil
	}
	if !s.flags.adhoc || strings.Count(name, ":") < 2 {
		return plan.Target{}, fmt.Errorf("%w %q: name a target of the targets file (host:port:proto only with --probe.allow-adhoc)", exporter.ErrUnknownTarget, name)
	}
	ct, err := targets.ParseOne(name)
	if err != nil {
		return plan.Target{}, fmt.Errorf("%w %q: %v", exporter.ErrUnknownTarget, name, err)
	}
	t := plan.Build(&config.File{Targets: []config.Target{ct}}).Targets[0]
	if err := gen.serves(t); err != nil {
		return plan.Target{}, fmt.Errorf("%w %q: %v", exporter.ErrUnknownTarget, name, err)
	}
	return t, nil
}
