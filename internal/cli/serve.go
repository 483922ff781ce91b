//go:build linux

package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/promslog"
	"github.com/spf13/cobra"
	"golang.org/x/net/netutil"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/exporter"
	"github.com/probe-net/probe/core/plan"
	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/core/scheduler"
	"github.com/probe-net/probe/core/surfacer"
	"github.com/probe-net/probe/core/targets"
	"github.com/probe-net/probe/internal/safetext"
)

// DefaultListenAddress is where serve listens unless --web.listen-address
// says otherwise. Prometheus' registry of exporter ports (9100-9999) is
// full, so this one is not registered; it is not blackbox_exporter's 9115,
// so both can run on one host.
const DefaultListenAddress = ":9716"

type serveFlags struct {
	listen    []string
	webConfig string
	logLevel  string
	logFormat string
	adhoc     bool
	pprof     bool
	maxConns  int
}

func newServeCmd(g *globals) *cobra.Command {
	var src sourceFlags
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve FILE",
		Short: "Probe every target continuously and export the results for Prometheus",
		Long: `Probe every target of FILE on a schedule, forever, and export per-phase
histograms, counters and blackbox_exporter-compatible gauges at /metrics for
Prometheus to scrape.

Each target is probed every run.interval (15s when unset); the first probes
are spread over the first interval; at most run.concurrency probes run at once.
The serve block of FILE adds a warm mode per target (connection reuse, TLS
resumption, DNS cache; mode="warm") and shapes the histograms.

Endpoints, served from the moment serve listens: / (links), /metrics,
/-/healthy, /-/ready (200 once every target was probed once), POST /-/reload,
/probe?target=NAME (one probe now, as blackbox_exporter's multi-target
pattern), /debug/pprof/ with --web.enable-pprof. While the plugins start,
reload and /probe answer 503. SIGHUP reloads too (one sent while starting is
done once started). A reload checks the new file and starts its plugins
first; if anything fails, probing goes on with the old file and
probe_config_last_reload_successful is 0. Otherwise it waits for the old
schedule's probes in flight (each within its budget) and swaps the file in.

FILE is required: serve never probes the built-in demo list, and ignores
PRECONNECT_HOSTS (the targets are the file's, which a reload reads again).
Every --web.listen-address is bound, and served, before any plugin starts.

A plugin that crashes is restarted, with backoff, however often it crashes.
SIGINT or SIGTERM, at any time: in-flight probes finish within their budget,
exit 0. Exit 2: bad flags, FILE or listen address; 3: an address in use or a
plugin that cannot start.`,
		Example: `  probe serve targets.hcl
  probe serve targets.hcl --web.listen-address 127.0.0.1:9716 --web.listen-address [::1]:9716
  probe serve targets.hcl --web.config.file web.yml   # TLS and basic auth
  curl -X POST localhost:9716/-/reload`,
		Args: serveArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return serve(g, &src, &f, args[0])
		},
	}
	src.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&f.listen, "web.listen-address", []string{DefaultListenAddress}, "[HOST]:PORT to listen on for /metrics and the other endpoints (repeatable: every address is bound, as in exporter-toolkit)")
	fl.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web config file: TLS and basic auth (see https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md)")
	fl.StringVar(&f.logLevel, "log.level", "info", "only log entries at this level or above: "+strings.Join(promslog.LevelFlagOptions, ", "))
	fl.StringVar(&f.logFormat, "log.format", "logfmt", "log format: "+strings.Join(promslog.FormatFlagOptions, " or ")+" (keys time, level, msg, as Prometheus logs)")
	fl.IntVar(&f.maxConns, "web.max-connections", 512, "most connections served at once on each listen address, as Prometheus' flag of that name (a /probe request holds one while it probes); more wait to be accepted; 0: no limit")
	fl.BoolVar(&f.pprof, "web.enable-pprof", false, "serve Go's runtime profiles at /debug/pprof/ (heap, goroutines, CPU) to diagnose a long-running serve; off: they show the process' internals")
	fl.BoolVar(&f.adhoc, "probe.allow-adhoc", false, `let /probe?target=host:port:proto probe targets the file does not name (off: an open prober is an SSRF tool)`)
	return cmd
}

// serveArgs requires FILE: a daemon probes what a file names, never the
// built-in demo list the one-shot commands fall back to, nor stdin, which
// a reload could not read again.
func serveArgs(_ *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return exit(ExitUsage, "probe serve needs a targets file (probe serve FILE): it never probes the built-in demo list")
	case len(args) > 1:
		return exit(ExitUsage, "probe serve takes one targets file, not %d arguments", len(args))
	case args[0] == "-":
		return exit(ExitUsage, "probe serve cannot read its targets from stdin (-): a reload reads the file again; name a file")
	}
	return nil
}

// exporterState is the state of a running `probe serve`.
type exporterState struct {
	g     *globals
	src   *sourceFlags
	path  string
	flags *serveFlags
	log   hclog.Logger
	web   *slog.Logger // the same log, for exporter-toolkit
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
	// Signals first: Go's default for SIGHUP is to exit (129), and a
	// SIGHUP sent while the plugins start is a reload to do once they
	// have (the channel holds one).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log, err := serveLogger(f.logLevel, f.logFormat, g.stderr)
	if err != nil {
		return exit(ExitUsage, "%v", err)
	}
	g.log, g.foreverRestarts = log, true
	return logFatal(log, serveWith(ctx, hup, g, src, f, path, log))
}

// logFatal writes what made serve exit as a last log entry, in the log's
// format, and returns its exit code with no message, so that nothing else
// is printed.
func logFatal(log hclog.Logger, err error) error {
	if err == nil {
		return nil
	}
	code := ExitRuntime
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg := err.Error(); msg != "" {
		log.Error("exiting", "code", code, "err", msg)
	}
	return &exitError{code: code, err: errors.New("")}
}

// serveWith runs serve once its signals are handled and its log is made.
func serveWith(ctx context.Context, hup <-chan os.Signal, g *globals, src *sourceFlags, f *serveFlags, path string, log *slogLogger) error {
	if os.Getenv(targets.EnvHosts) != "" {
		log.Warn(targets.EnvHosts + " is ignored by probe serve: list the targets in the file, which a reload reads again")
	}
	src.ignoreEnvHosts = true
	if g.verbose > 0 || os.Getenv(envLog) != "" {
		log.Warn("-v and PROBE_LOG are ignored by probe serve: use --log.level (debug for the most)")
	}
	if f.webConfig != "" {
		if err := exporter.ValidateWebConfig(f.webConfig); err != nil {
			return exit(ExitUsage, "--web.config.file %s: %v", f.webConfig, err)
		}
	}
	// Bound before any plugin starts: a bad or busy address fails at once.
	if f.maxConns < 0 {
		return exit(ExitUsage, "--web.max-connections %d: want 0 (no limit) or more", f.maxConns)
	}
	lns, err := listenAll(f.listen, f.maxConns)
	if err != nil {
		return err
	}
	s := &exporterState{g: g, src: src, path: path, flags: f, log: log, web: log.Named("web").(*slogLogger).Slog(),
		inv: surfacer.NewInventory(Version, pluginProtocol)}
	// Served while the plugins start: /-/healthy answers 200 and /-/ready
	// 503 from the first moment, as a supervisor expects.
	httpCtx, stopHTTP := context.WithCancel(ctx)
	defer stopHTTP()
	reg := prometheus.NewRegistry()
	// If the HTTP server fails while the plugins start, the start is cut
	// short: there would be nobody to export to.
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	served := make(chan error, 1)
	go func() {
		served <- <-s.listen(httpCtx, lns, reg)
		stopLoad()
	}()
	gen, err := loadQuietly(loadCtx, g, src, path)
	if err != nil {
		stopHTTP()
		httpErr := <-served
		switch {
		case ctx.Err() != nil:
			log.Info("stopped while starting")
			return nil
		case httpErr != nil:
			return exit(ExitRuntime, "serving HTTP: %v", httpErr)
		}
		return err
	}
	s.surf = surfacer.New(surfacer.Options{Buckets: gen.file.Serve.BucketBounds(), NativeBucketFactor: gen.file.Serve.BucketFactor()})
	reg.MustRegister(s.surf)
	s.reloadMu.Lock() // a POST /-/reload waits until the first start is whole
	s.start(gen)
	s.reloadMu.Unlock()
	log.Info("started", "targets", len(gen.plan.Targets))
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

// listenAll binds every --web.listen-address, each to serve at most
// maxConns connections at once (0: no limit; x/net's LimitListener, as
// Prometheus does for its own --web.max-connections). A malformed address (no
// port, a port out of range, a host that does not resolve) is a usage
// error (exit 2); one that cannot be bound (in use, not this machine's,
// a privileged port) a runtime error (exit 3).
func listenAll(addrs []string, maxConns int) ([]net.Listener, error) {
	var lns []net.Listener
	for i, addr := range addrs {
		if slices.Contains(addrs[:i], addr) {
			closeAll(lns)
			return nil, exit(ExitUsage, "--web.listen-address %s is given twice", safetext.Quote(addr))
		}
		ln, err := listenOn(addr)
		if err != nil {
			closeAll(lns)
			return nil, err
		}
		if maxConns > 0 {
			ln = netutil.LimitListener(ln, maxConns)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func listenOn(addr string) (net.Listener, error) {
	quoted := safetext.Quote(addr)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, exit(ExitUsage, "--web.listen-address %s: want [HOST]:PORT (%v)", quoted, err)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return nil, exit(ExitUsage, "--web.listen-address %s: %s is not a port", quoted, safetext.Quote(port))
	}
	ln, err := net.Listen("tcp", addr)
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return ln, nil
	case errors.As(err, &dnsErr):
		return nil, exit(ExitUsage, "--web.listen-address %s: %v", quoted, err)
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, exit(ExitRuntime, "--web.listen-address %s: the address is in use (another probe serve or exporter listens there)", quoted)
	}
	return nil, exit(ExitRuntime, "--web.listen-address %s: cannot listen: %v", quoted, err)
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// listen serves the endpoints on lns until ctx ends; the channel gets
// Serve's result. reg is what /metrics exposes: the surfacer joins it once
// the file is loaded.
func (s *exporterState) listen(ctx context.Context, lns []net.Listener, reg *prometheus.Registry) <-chan error {
	reg.MustRegister(s.inv,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	out := make(chan error, 1)
	h, err := exporter.Handler(exporter.Options{
		Gatherer: reg, Registerer: reg,
		Ready:         s.notReady,
		Reload:        s.reload,
		Probe:         s.probeNow,
		TimeoutOffset: s.timeoutOffset,
		Pprof:         s.flags.pprof,
		Version:       Version,
		Logger:        s.web,
	})
	if err != nil {
		closeAll(lns)
		out <- err
		return out
	}
	for _, ln := range lns {
		s.log.Info("serving", "address", ln.Addr().String())
	}
	go func() {
		out <- exporter.Serve(ctx, lns, h, s.flags.webConfig, 5*time.Second, s.web)
	}()
	return out
}

// errStarting answers /-/reload and /probe until the plugins have started.
var errStarting = fmt.Errorf("%w: probe serve is still starting its plugins", exporter.ErrUnavailable)

// timeoutOffset is the file's serve.timeout_offset; the default until it
// is loaded.
func (s *exporterState) timeoutOffset() time.Duration {
	if gen := s.current(); gen != nil {
		return gen.file.Serve.Offset()
	}
	return config.DefaultTimeoutOffset
}

// current is the generation in use, nil until the first has started.
func (s *exporterState) current() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// start makes gen current and starts its schedule. The schedule of the
// generation it replaces, if any, is stopped first and its probes in
// flight finish (each within its budget), so that none of them brings
// back the series of a target gen removed; then its plugins are closed.
// /probe requests that began on the old generation keep its plugins until
// they end.
func (s *exporterState) start(gen *generation) {
	s.mu.Lock()
	old, stopOld, oldDone := s.gen, s.stop, s.done
	s.gen = gen // /probe uses gen from now on
	s.mu.Unlock()
	if old != nil {
		stopOld()
		<-oldDone
	}
	s.surf.Retain(gen.keys())
	s.surf.Schedule(gen.scheduled())
	s.inv.Loaded(gen.inventoryTargets(), gen.plugins)
	interval := gen.plan.Run.Interval
	if interval <= 0 {
		interval = config.DefaultServeInterval
	}
	concurrency := gen.plan.Run.Concurrency
	if gen.plan.Run.Sequential {
		concurrency = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.mu.Lock()
	s.stop, s.done = cancel, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		_ = scheduler.Run(ctx, gen.jobs, scheduler.Options{
			Interval: interval, Concurrency: concurrency,
			Emit:  s.emit,
			Ready: s.markReady,
		})
	}()
	if old != nil {
		old.close()
	}
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
	s.reloadMu.Lock() // a reload in progress finishes first
	defer s.reloadMu.Unlock()
	s.log.Info("stopping: letting probes in flight finish")
	s.halt()
}

func (s *exporterState) emit(job scheduler.Job, smp sample.Sample) {
	s.surf.Observe(job.Mode, smp)
	if f := smp.Failure(); f != nil && s.log.IsDebug() {
		s.log.Debug("probe failed", "target", smp.Target, "mode", job.Mode, "phase", f.Name, "kind", errorKind(f), "err", errorMessage(f))
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
	switch {
	case s.gen == nil:
		return "the plugins are starting"
	case !s.ready:
		return "not every target has been probed once yet"
	}
	return ""
}

// reload loads the file again and, when it and its plugins are good,
// swaps it in; otherwise probing goes on with the old one.
func (s *exporterState) reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if s.current() == nil {
		return errStarting // SIGHUP's reload waits for the start; POST's is refused
	}
	s.log.Info("reloading", "file", s.path)
	gen, err := loadQuietly(ctx, s.g, s.src, s.path)
	if err == nil && !gen.file.Serve.SameHistograms(s.current().file.Serve) {
		gen.close()
		where := gen.file.Serve.Where()
		if where == "" {
			where = s.path // no serve block: the defaults changed back
		}
		err = fmt.Errorf("%s: %s changed: histograms keep their shape while the process runs; restart probe serve to change them",
			where, changedHistograms(gen.file.Serve, s.current().file.Serve))
	}
	if err != nil {
		s.inv.Failed()
		s.log.Error("reload failed; probing goes on with the previous file", "err", err.Error())
		return err
	}
	s.start(gen)
	s.log.Info("reloaded", "targets", len(gen.plan.Targets))
	return nil
}

// changedHistograms names what differs between two serve blocks' histogram
// settings.
func changedHistograms(now, was config.Serve) string {
	switch {
	case !slices.Equal(now.BucketBounds(), was.BucketBounds()) && now.BucketFactor() != was.BucketFactor():
		return "serve.buckets and serve.native_bucket_factor"
	case now.BucketFactor() != was.BucketFactor():
		return "serve.native_bucket_factor"
	}
	return "serve.buckets"
}

// probeNow serves /probe: one probe of a target of the file (or, with
// --probe.allow-adhoc, of host:port:proto) within timeout.
func (s *exporterState) probeNow(ctx context.Context, name string, timeout time.Duration) (prometheus.Gatherer, error) {
	s.mu.Lock()
	gen := s.gen
	if gen == nil {
		s.mu.Unlock()
		return nil, errStarting
	}
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
	return surfacer.OneShot(smp, t.Phases, t.Timeout), nil
}

func (s *exporterState) probeTarget(gen *generation, name string) (plan.Target, error) {
	if t, ok := gen.target(name); ok {
		return t, nil
	}
	adhocForm := strings.Count(name, ":") >= 2
	switch {
	case !s.flags.adhoc && adhocForm:
		return plan.Target{}, fmt.Errorf("%w %q: not a target of the targets file; probing host:port:proto needs --probe.allow-adhoc", exporter.ErrUnknownTarget, name)
	case !s.flags.adhoc:
		return plan.Target{}, fmt.Errorf("%w %q: not a target of the targets file", exporter.ErrUnknownTarget, name)
	case !adhocForm:
		return plan.Target{}, fmt.Errorf("%w %q: neither a target of the targets file nor host:port:proto", exporter.ErrUnknownTarget, name)
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
