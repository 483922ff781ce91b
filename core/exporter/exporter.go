// Package exporter is the HTTP face of `probe serve`, in the conventions of
// Prometheus exporters (blackbox_exporter's in particular):
//
//	/          a landing page linking the others (exporter-toolkit's)
//	/metrics   the registry, in every format client_golang's promhttp
//	           negotiates (text, OpenMetrics, protobuf for native histograms)
//	/-/healthy 200 while the process serves
//	/-/ready   200 once the plugins are configured and every target has been
//	           probed once, else 503
//	/-/reload  POST: reload the targets file; 200 once the new file is in
//	           use (serve waits for the old schedule's probes in flight, each
//	           within its budget), 503 when it cannot reload yet
//	           (ErrUnavailable), or 500 with the reason
//	/probe     ?target=NAME: one probe now, its own registry of gauges
//	           (blackbox's multi-target pattern); 400 for an unknown target,
//	           503 when it cannot probe yet
//	/debug/pprof/
//	           Go's runtime profiles (net/http/pprof), only with
//	           Options.Pprof: they show the process' internals, so they are
//	           off unless asked for (Prometheus' server serves them always)
//
// Serve listens with exporter-toolkit, so --web.config.file gives TLS and
// basic auth as in every official exporter. The package knows nothing of
// plugins or schedules: the caller passes functions.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// ErrUnknownTarget is what a Probe function returns (wrapped) for a target
// it will not probe; /probe answers 400 with the message.
var ErrUnknownTarget = errors.New("unknown target")

// ErrUnavailable is what a Reload or Probe function returns (wrapped) when
// it cannot act yet (serve is still starting its plugins); the endpoint
// answers 503 Service Unavailable with the message.
var ErrUnavailable = errors.New("unavailable")

// ScrapeTimeoutHeader is the header in which Prometheus sends its scrape
// timeout in seconds.
const ScrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// Options wire the endpoints to the rest of probe serve. Every function
// must be safe for concurrent use.
type Options struct {
	// Gatherer is what /metrics exposes.
	Gatherer prometheus.Gatherer
	// Registerer, if set, receives promhttp's own metrics
	// (promhttp_metric_handler_requests_total ...).
	Registerer prometheus.Registerer
	// Ready says why the exporter is not ready yet, or "" when it is.
	Ready func() string
	// Reload reloads the targets file; the error says why it failed
	// (ErrUnavailable: 503, else 500).
	Reload func(ctx context.Context) error
	// Probe probes the named target once within timeout (0: the target's
	// own timeout) and returns a registry describing that probe. Errors:
	// ErrUnknownTarget answers 400, ErrUnavailable 503, others 500.
	Probe func(ctx context.Context, target string, timeout time.Duration) (prometheus.Gatherer, error)
	// TimeoutOffset is taken off Prometheus' scrape timeout for /probe.
	TimeoutOffset func() time.Duration
	// Pprof serves Go's runtime profiles under /debug/pprof/ (heap,
	// goroutine, CPU profile ...), for diagnosing a long-running serve.
	Pprof bool
	// Version is shown on the landing page.
	Version string
	Logger  *slog.Logger
}

// Handler returns the endpoints' mux.
func Handler(opts Options) (http.Handler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	metrics := promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		EnableOpenMetrics: true,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
	})
	if opts.Registerer != nil {
		metrics = promhttp.InstrumentMetricHandler(opts.Registerer, metrics)
	}
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if why := opts.Ready(); why != "" {
			http.Error(w, "Not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("/-/reload", reloadHandler(opts))
	mux.HandleFunc("/probe", probeHandler(opts))
	if opts.Pprof {
		// The handlers net/http/pprof registers on http.DefaultServeMux,
		// on this mux instead: nothing else in the process may add
		// endpoints to ours.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	landing, err := web.NewLandingPage(landingConfig(opts.Version, opts.Pprof))
	if err != nil {
		return nil, err
	}
	mux.Handle("/", landing)
	return mux, nil
}

func landingConfig(version string, pprof bool) web.LandingConfig {
	c := web.LandingConfig{
		Name:        "probe serve",
		Description: "Per-phase connection latency (DNS, TCP, TLS, HTTP) of every target, probed continuously",
		Version:     version,
		// The toolkit's own profiling section also points to a third-party
		// upload site; a plain link to the index is all this page gives.
		Profiling: "false",
		Form: web.LandingForm{Action: "/probe", Inputs: []web.LandingFormInput{
			{Label: "Target", Type: "text", Name: "target", Placeholder: "a target name from the file"},
		}},
		Links: []web.LandingLinks{
			{Address: "/metrics", Text: "Metrics", Description: "every target's histograms and counters"},
			{Address: "/-/healthy", Text: "Health", Description: "200 while serving"},
			{Address: "/-/ready", Text: "Readiness", Description: "200 once every target was probed once"},
		},
	}
	if pprof {
		c.Links = append(c.Links, web.LandingLinks{Address: "/debug/pprof/", Text: "Profiles",
			Description: "Go runtime profiles (pprof): heap, goroutines, CPU"})
	}
	return c
}

func reloadHandler(opts Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			w.Header().Set("Allow", "POST, PUT")
			http.Error(w, "use POST (or PUT) to reload", http.StatusMethodNotAllowed)
			return
		}
		// A client that hangs up must not cut a reload short half way.
		if err := opts.Reload(context.WithoutCancel(r.Context())); err != nil {
			http.Error(w, "failed to reload config: "+err.Error(), statusOf(err))
			return
		}
		fmt.Fprintln(w, "Reloaded")
	}
}

func probeHandler(opts Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		target := r.URL.Query().Get("target")
		if target == "" {
			http.Error(w, "the target parameter is missing: /probe?target=NAME", http.StatusBadRequest)
			return
		}
		timeout, err := probeTimeout(r.Header.Get(ScrapeTimeoutHeader), opts.TimeoutOffset())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reg, err := opts.Probe(r.Context(), target, timeout)
		if errors.Is(err, ErrUnknownTarget) {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), statusOf(err))
			return
		}
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	}
}

// statusOf is the HTTP status of a Reload or Probe error: 503 for
// ErrUnavailable, else 500.
func statusOf(err error) int {
	if errors.Is(err, ErrUnavailable) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// probeTimeout is Prometheus' scrape timeout minus offset, or 0 (the
// target's own timeout) when the request does not say. Prometheus sends
// the timeout in seconds as a float (strconv.FormatFloat 'f', -1); any
// float strconv.ParseFloat reads is taken. NaN, zero and negative values
// are errors; one too long for a time.Duration (+Inf, 1e300) is no bound
// from the scrape, so the target's own timeout applies.
func probeTimeout(header string, offset time.Duration) (time.Duration, error) {
	if header == "" {
		return 0, nil
	}
	secs, err := strconv.ParseFloat(header, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%s: %q is not a number of seconds", ScrapeTimeoutHeader, header)
	}
	if math.IsNaN(secs) || secs <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive number of seconds", ScrapeTimeoutHeader, header)
	}
	if secs >= maxSeconds {
		return 0, nil
	}
	d := time.Duration(secs*float64(time.Second)) - offset
	if d <= 0 {
		return 0, fmt.Errorf("%s: %gs leaves no time once the %s offset is taken off; raise scrape_timeout", ScrapeTimeoutHeader, secs, offset)
	}
	return d, nil
}

// maxSeconds is the longest time.Duration in seconds, rounded down.
const maxSeconds = float64(math.MaxInt64 / int64(time.Second))

// Serve serves h on every listener of lns until ctx ends, then shuts
// down, giving open requests up to grace to finish. webConfig is an
// exporter-toolkit web config file (TLS, basic auth), "" for plain HTTP.
// logger may be nil.
func Serve(ctx context.Context, lns []net.Listener, h http.Handler, webConfig string, grace time.Duration, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// net/http's own complaints (a TLS handshake that failed, a bad
	// request line) go to the log in its format, not to stderr raw.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() {
		errc <- web.ServeMultiple(lns, srv, &web.FlagConfig{WebConfigFile: &webConfig}, logger)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ValidateWebConfig checks an exporter-toolkit web config file (certificates
// readable, users' hashes valid) before anything listens.
func ValidateWebConfig(path string) error {
	return web.Validate(path)
}
