package benchsuite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BlackboxBinary is the name Debian's prometheus-blackbox-exporter
// package installs the exporter under; upstream calls it blackbox_exporter.
var BlackboxBinary = []string{"prometheus-blackbox-exporter", "blackbox_exporter"}

// FindBlackbox returns the path of the blackbox_exporter binary, or "" when
// it is not installed.
func FindBlackbox() string {
	for _, name := range BlackboxBinary {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Blackbox is a running blackbox_exporter, listening on 127.0.0.1, with a
// module "https" that does what probe's https chain does: resolve (A and
// AAAA, as its default ip6-preferred-with-fallback does), connect, verify
// the certificate against the bench CA, send HEAD, expect 200.
//
// blackbox_exporter has no setting for the DNS server its http prober asks
// (it uses the system resolver), so it runs in a private mount namespace
// (unshare(1), root only) in which /etc/resolv.conf names a DNS server of
// the Loopback on 127.0.53.x:53, and /etc/hosts and /etc/nsswitch.conf are
// minimal. The machine's own files are untouched, and if the bind mounts
// fail the exporter does not start at all, so it can never ask the real
// resolver. Without the namespace (Names false) it is still usable on IP
// literal targets.
type Blackbox struct {
	URL   string // http://127.0.0.1:PORT
	PID   int
	Names bool // target names resolve through the Loopback's DNS server

	cmd    *exec.Cmd
	dir    string
	client *http.Client
	done   chan struct{}
}

// StartBlackbox starts the exporter at bin for l. A failure to set up the
// private resolver configuration is not an error: the exporter then starts
// without it and Names is false; note says why.
func StartBlackbox(ctx context.Context, bin string, l *Loopback) (bb *Blackbox, note string, err error) {
	dir, err := os.MkdirTemp("", "probe-bench-blackbox-")
	if err != nil {
		return nil, "", err
	}
	cfg := filepath.Join(dir, "blackbox.yml")
	if err := os.WriteFile(cfg, []byte(blackboxConfig(l.CAFile)), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	addr, err := freeLoopbackPort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, "", err
	}
	args := []string{"--config.file=" + cfg, "--web.listen-address=" + addr, "--log.level=error"}
	bb, err = startBlackboxWithNames(ctx, bin, l, dir, args)
	if err != nil {
		note = fmt.Sprintf("blackbox_exporter resolves names with the system resolver and has no setting for another DNS server; giving it the loopback one needs a private mount namespace, which failed (%v): it probes IP literals only", err)
		bb, err = startBlackboxProcess(exec.Command(bin, args...), dir)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, note, err
	}
	bb.URL = "http://" + addr
	if err := bb.waitReady(ctx); err != nil {
		bb.Close()
		return nil, note, err
	}
	return bb, note, nil
}

func blackboxConfig(caFile string) string {
	return fmt.Sprintf(`modules:
  https:
    prober: http
    timeout: 5s
    http:
      method: HEAD
      valid_status_codes: [200]
      fail_if_not_ssl: true
      tls_config:
        ca_file: %q
`, caFile)
}

// startBlackboxWithNames runs the exporter under unshare with the private
// resolver files, and serves the Loopback's zone on 127.0.53.x:53.
func startBlackboxWithNames(ctx context.Context, bin string, l *Loopback, dir string, args []string) (*Blackbox, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return nil, err
	}
	if l.DNS53Addr == "" {
		return nil, fmt.Errorf("no DNS server on 127.0.53.x:53: %s", l.DNS53Error)
	}
	host, _, _ := net.SplitHostPort(l.DNS53Addr)
	files := map[string]string{
		"resolv.conf":   "nameserver " + host + "\noptions attempts:2 timeout:2\n",
		"hosts":         "127.0.0.1 localhost\n",
		"nsswitch.conf": "hosts: files dns\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	script := `mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/hosts && mount --bind "$3" /etc/nsswitch.conf && shift 3 && exec "$@"`
	cmdArgs := append([]string{"--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
		filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "hosts"), filepath.Join(dir, "nsswitch.conf"), bin}, args...)
	bb, err := startBlackboxProcess(exec.Command(unshare, cmdArgs...), dir)
	if err != nil {
		return nil, err
	}
	bb.Names = true
	// A mount that failed ends the process at once: give it a moment.
	select {
	case <-bb.done:
		return nil, fmt.Errorf("the exporter's private namespace could not be set up: %s", strings.TrimSpace(readTail(filepath.Join(dir, "stderr"))))
	case <-time.After(200 * time.Millisecond):
	}
	return bb, nil
}

func startBlackboxProcess(cmd *exec.Cmd, dir string) (*Blackbox, error) {
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr, cmd.Stdout = stderr, stderr
	if err := cmd.Start(); err != nil {
		stderr.Close()
		return nil, err
	}
	stderr.Close()
	bb := &Blackbox{cmd: cmd, dir: dir, PID: cmd.Process.Pid, done: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 1024}, Timeout: 30 * time.Second}}
	go func() {
		_ = cmd.Wait()
		close(bb.done)
	}()
	return bb, nil
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 500 {
		b = b[len(b)-500:]
	}
	return string(b)
}

func (bb *Blackbox) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-bb.done:
			return fmt.Errorf("blackbox_exporter exited: %s", strings.TrimSpace(readTail(filepath.Join(bb.dir, "stderr"))))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := bb.client.Get(bb.URL + "/-/healthy")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("blackbox_exporter did not become healthy within 10s")
}

// Probe asks the exporter to probe target (a URL) once and reports
// whether probe_success was 1; err is a failed request.
func (bb *Blackbox) Probe(ctx context.Context, target string) (bool, error) {
	u := bb.URL + "/probe?module=https&target=" + url.QueryEscape(target)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
	resp, err := bb.client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	ok := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "probe_success ") {
			ok = strings.TrimSpace(strings.TrimPrefix(line, "probe_success ")) == "1"
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("/probe: %s", resp.Status)
	}
	return ok, sc.Err()
}

// Targets returns the URLs of n targets of l, as Loopback.Targets names
// them (or their addresses, with literal).
func (l *Loopback) TargetURLs(first, n int, literal bool) []string {
	out := make([]string, n)
	for k := range out {
		i := first + k
		host := Name(i)
		if literal {
			host = l.Addr(i).String()
		}
		out[k] = "https://" + net.JoinHostPort(host, fmt.Sprint(l.HTTPSPort)) + "/"
	}
	return out
}

// Throughput probes every URL once through the exporter, concurrency at a
// time, and records the usage of pids.
func (bb *Blackbox) Throughput(ctx context.Context, urls []string, concurrency int, pids []int) Result {
	var failed atomic.Int64
	var firstErr atomic.Value
	next := atomic.Int64{}
	before := TotalUsage(pids)
	start := time.Now()
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(urls) || ctx.Err() != nil {
					return
				}
				ok, err := bb.Probe(ctx, urls[i])
				if !ok {
					failed.Add(1)
					if err == nil {
						err = fmt.Errorf("%s: probe_success 0", urls[i])
					}
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	res := Result{Probes: len(urls), Failed: int(failed.Load()), Elapsed: time.Since(start)}
	res.Usage = TotalUsage(pids).Sub(before)
	if e, ok := firstErr.Load().(string); ok {
		res.FirstErr = e
	}
	return res
}

// Close stops the exporter and removes its files.
func (bb *Blackbox) Close() error {
	if bb.cmd.Process != nil {
		_ = bb.cmd.Process.Signal(os.Interrupt)
		select {
		case <-bb.done:
		case <-time.After(3 * time.Second):
			_ = bb.cmd.Process.Kill()
			<-bb.done
		}
	}
	return os.RemoveAll(bb.dir)
}

// freeLoopbackPort returns 127.0.0.1:PORT for a port that was free a
// moment ago.
func freeLoopbackPort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
