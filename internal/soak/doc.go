// Package soak runs `probe run` for a long time against loopback servers
// that fail in every way issue 8 lists, while plugin processes are killed
// and stopped at random, and checks that probe's and its plugins'
// descriptors, threads and memory stay flat (`make soak`, not in CI).
//
// The parts, each usable alone:
//
//   - Bed (bed.go) starts the servers on 127.0.0.1: healthy HTTP and
//     HTTPS, a delaying proxy, a silent accept, resets, a port that
//     refuses, 10 MB of headers, an expired certificate, and a miekg/dns
//     server for soak.test answering NXDOMAIN, SERVFAIL, wrong message ids
//     and CNAME loops by name. Nothing touches any other address.
//   - Targets (targets.go) is one probe target per failure and the phase
//     and error kind each must fail with; File writes them as a targets file.
//   - Sampler (procs.go) reads /proc for a process and its children:
//     descriptors, threads, resident memory.
//   - Chaos (chaos.go) signals plugin processes through pidfds, so a
//     signal never reaches a process that merely reused a pid.
//   - Analyze (report.go) folds the samples into a table over time and
//     decides whether anything grew beyond the tolerance.
//
// Run (soak.go) puts them together; cmd/probe-soak is its command line.
package soak
