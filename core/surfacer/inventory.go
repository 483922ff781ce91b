package surfacer

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Plugin describes one running plugin process for the inventory.
type Plugin struct {
	Mode     string // the session it belongs to: Cold or Warm
	Phase    string
	Name     string
	Version  string
	Source   string // "built-in dns" or the executable's path
	Restarts int    // restarts after a crash or hang since the session started
}

// Target describes one configured target for the inventory.
type Target struct {
	Name     string
	Host     string
	Port     int
	Protocol string
	Phases   []string
	Modes    []string
}

// Inventory exports what `probe serve` is running rather than what it
// measured: build info, targets, plugins and their restarts, and the outcome
// of the last config reload. It is a prometheus.Collector, safe for
// concurrent use; the series are built at scrape time from the current
// state, so they change with each reload and hold nothing else.
type Inventory struct {
	build      *prometheus.Desc
	target     *prometheus.Desc
	plugin     *prometheus.Desc
	restarts   *prometheus.Desc
	reloadOK   *prometheus.Desc
	reloadTime *prometheus.Desc

	version, protocol string

	mu       sync.Mutex
	targets  []Target
	plugins  func() []Plugin
	ok       bool
	lastGood time.Time
}

// NewInventory makes an inventory for this build. version is probe's,
// protocol the plugin protocol's.
func NewInventory(version string, protocol int) *Inventory {
	return &Inventory{
		build: prometheus.NewDesc("probe_build_info", "Always 1; labels name the build.",
			[]string{"version", "goversion", "plugin_protocol"}, nil),
		target: prometheus.NewDesc("probe_target_info", "Always 1 per configured target and mode; labels say what it is (from the targets file).",
			[]string{"target", "mode", "host", "port", "protocol", "phases"}, nil),
		plugin: prometheus.NewDesc("probe_plugin_info", "Always 1 per plugin process; labels say which plugin serves each phase.",
			[]string{"mode", "phase", "plugin", "version", "source"}, nil),
		restarts: prometheus.NewDesc("probe_plugin_restarts_total", "Times the plugin process was replaced after it crashed or hung (resets when a reload starts new plugins).",
			[]string{"mode", "phase"}, nil),
		reloadOK: prometheus.NewDesc("probe_config_last_reload_successful", "1 if the last config load or reload succeeded, else 0 (probing goes on with the previous config).",
			nil, nil),
		reloadTime: prometheus.NewDesc("probe_config_last_reload_success_timestamp_seconds", "When the config was last loaded successfully, Unix seconds.",
			nil, nil),
		version:  version,
		protocol: strconv.Itoa(protocol),
		plugins:  func() []Plugin { return nil },
	}
}

// Loaded records a successful load or reload: the targets now probed and a
// function listing the plugins now running (called at each scrape).
func (inv *Inventory) Loaded(targets []Target, plugins func() []Plugin) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.targets, inv.plugins = targets, plugins
	inv.ok, inv.lastGood = true, time.Now()
}

// Failed records a reload that failed; the previous state stays.
func (inv *Inventory) Failed() {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.ok = false
}

// Describe implements prometheus.Collector.
func (inv *Inventory) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{inv.build, inv.target, inv.plugin, inv.restarts, inv.reloadOK, inv.reloadTime} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (inv *Inventory) Collect(ch chan<- prometheus.Metric) {
	inv.mu.Lock()
	targets, plugins, ok, lastGood := inv.targets, inv.plugins, inv.ok, inv.lastGood
	inv.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(inv.build, prometheus.GaugeValue, 1, inv.version, runtime.Version(), inv.protocol)
	for _, t := range targets {
		for _, m := range t.Modes {
			ch <- prometheus.MustNewConstMetric(inv.target, prometheus.GaugeValue, 1,
				t.Name, m, t.Host, strconv.Itoa(t.Port), t.Protocol, strings.Join(t.Phases, ","))
		}
	}
	for _, p := range plugins() {
		ch <- prometheus.MustNewConstMetric(inv.plugin, prometheus.GaugeValue, 1, p.Mode, p.Phase, p.Name, p.Version, p.Source)
		ch <- prometheus.MustNewConstMetric(inv.restarts, prometheus.CounterValue, float64(p.Restarts), p.Mode, p.Phase)
	}
	// Nothing about loads until the first is done: serve is scraped while
	// its plugins start, and a 0 then would read as a failed reload.
	if !lastGood.IsZero() {
		ch <- prometheus.MustNewConstMetric(inv.reloadOK, prometheus.GaugeValue, boolValue(ok))
		ch <- prometheus.MustNewConstMetric(inv.reloadTime, prometheus.GaugeValue, float64(lastGood.UnixNano())/1e9)
	}
}
