// Package prometheus holds the example Prometheus setup for a fleet of
// `probe serve` instances (prometheus.yml, rules.yml, alerts.yml) and the
// targets file they scrape (probe.hcl); its tests check every file with
// promtool. It has no code.
package prometheus
