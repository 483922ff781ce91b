// Package benchsuite is probe's side-by-side benchmark suite: the same
// loopback HTTPS and DNS servers probed by the in-process baseline
// (runner.InProcess), by probe's plugin processes and by blackbox_exporter
// when it is installed, at several concurrencies and target counts, plus
// the cold start of `probe test` against `curl -I`. `make bench` runs it;
// BENCHMARKS.md records the method and results. Every server it starts and
// every address it probes is on 127.0.0.0/8.
package benchsuite
