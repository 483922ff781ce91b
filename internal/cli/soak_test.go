//go:build linux

package cli_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// soakFile writes a serve file of n testbed targets, a third each plain
// HTTP, HTTPS and raw TCP, one in ten also probed warm, every interval.
func soakFile(t *testing.T, n int, interval time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, `variable "dns_server" {}
variable "http_port" {}
variable "https_port" {}
variable "tcp_port" {}
variable "ca_file" {}
run {
  interval    = %q
  concurrency = 16
}
plugin "dns" {
  config {
    servers = [var.dns_server]
    cache   = true
  }
}
plugin "tls" {
  config { ca_file = var.ca_file }
}
`, interval.String())
	var warm []string
	for i := range n {
		name := fmt.Sprintf("t%03d", i)
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "target %q {\n  host = \"www.probe.test\"\n  port = var.http_port\n  protocol = \"http\"\n}\n", name)
		case 1:
			fmt.Fprintf(&b, "target %q {\n  host = \"secure.probe.test\"\n  port = var.https_port\n  protocol = \"https\"\n}\n", name)
		default:
			fmt.Fprintf(&b, "target %q {\n  host = \"127.0.0.1\"\n  port = var.tcp_port\n  protocol = \"tcp\"\n}\n", name)
		}
		if i%10 == 0 {
			warm = append(warm, strconv.Quote(name))
		}
	}
	fmt.Fprintf(&b, "serve {\n  warm = [%s]\n}\n", strings.Join(warm, ", "))
	path := filepath.Join(t.TempDir(), "soak.hcl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// TestSoak runs `probe serve` with 100 targets every 100 ms for
// PROBE_SOAK (a duration; `make soak-serve` sets 1h), samples its RSS every 10 s,
// kills a random plugin process every tenth of the run, and checks that the
// RSS at the end is within 10% of the RSS at a sixth of the run (10 minutes
// of an hour) and that the killed plugins came back. Not part of `make
// test`: skipped unless PROBE_SOAK is set. PROBE_SOAK_OUT names a CSV file
// for the samples.
func TestSoak(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("PROBE_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set PROBE_SOAK=1h (make soak-serve) to run the soak test")
	}
	tb := startTestbed(t)
	s := startServe(t, tb, soakFile(t, 100, 100*time.Millisecond))
	out := os.Getenv("PROBE_SOAK_OUT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "soak.csv")
	}
	csv, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer csv.Close()
	fmt.Fprintln(csv, "elapsed_s,serve_rss_kib,plugins_rss_kib,probes_total,restarts_total")
	pid := s.cmd.Process.Pid
	start := time.Now()
	checkpoint, killEvery := d/6, d/10
	var rssAtCheckpoint, rssNow, killed int
	nextKill := killEvery
	for elapsed := time.Duration(0); elapsed < d; elapsed = time.Since(start) {
		time.Sleep(min(10*time.Second, d-elapsed))
		elapsed = time.Since(start)
		m := s.metrics(t)
		plugins := 0
		for _, c := range children(pid) {
			plugins += rssKiB(c)
		}
		rssNow = rssKiB(pid)
		fmt.Fprintf(csv, "%.0f,%d,%d,%.0f,%.0f\n", elapsed.Seconds(), rssNow, plugins, probes(m), restarts(m))
		if rssAtCheckpoint == 0 && elapsed >= checkpoint {
			rssAtCheckpoint = rssNow
		}
		if elapsed >= nextKill && elapsed < d-30*time.Second {
			kids := children(pid)
			if len(kids) > 0 {
				_ = syscall.Kill(kids[rand.IntN(len(kids))], syscall.SIGKILL)
				killed++
			}
			nextKill += killEvery
		}
	}
	m := s.metrics(t)
	t.Logf("soak %v: serve RSS %d KiB at %v, %d KiB at the end (%+.1f%%); %.0f probes (%.0f/s); %d plugins killed, %.0f restarts; samples in %s",
		d, rssAtCheckpoint, checkpoint, rssNow, 100*(float64(rssNow)/float64(rssAtCheckpoint)-1),
		probes(m), probes(m)/d.Seconds(), killed, restarts(m), out)
	if float64(rssNow) > 1.1*float64(rssAtCheckpoint) {
		t.Errorf("RSS grew from %d KiB to %d KiB: more than 10%%", rssAtCheckpoint, rssNow)
	}
	if restarts(m) < float64(killed) {
		t.Errorf("%d plugins killed, %.0f restarts", killed, restarts(m))
	}
	s.stop(t)
}

func probes(m map[string]float64) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, "probe_probes_total{") {
			n += v
		}
	}
	return n
}
