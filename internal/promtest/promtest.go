// Package promtest runs a real Prometheus server, and promtool, for tests:
// the binaries of Debian's prometheus package (`apt-get install
// prometheus`; .ci/run installs it). A test that needs them and does not
// find them is skipped with a message saying how to install them.
//
// The server listens on 127.0.0.1 only, keeps its TSDB in the test's temp
// directory, and is stopped by its PID when the test ends; the package's
// own systemd service, if any, plays no part.
package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Binary returns the path of a Prometheus binary (prometheus, promtool),
// skipping the test when it is not installed.
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not found: apt-get install prometheus (Debian's package has prometheus and promtool)", name)
	}
	return path
}

// Check runs promtool with args (e.g. "check", "rules", FILE) and fails the
// test with its output if it fails.
func Check(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, Binary(t, "promtool"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago, for a program that cannot listen on port 0 and report the port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Server is a running Prometheus.
type Server struct {
	URL string // http://127.0.0.1:PORT
	cmd *exec.Cmd
	log *bytes.Buffer
}

// Start starts Prometheus with config (a prometheus.yml) and args added
// to its command line, and waits until it is ready (at most 30 s).
func Start(t testing.TB, config string, args ...string) *Server {
	t.Helper()
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	cmd := exec.Command(bin, append([]string{
		"--config.file=" + cfg,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + addr,
	}, args...)...)
	s := &Server{URL: "http://" + addr, cmd: cmd, log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = s.log, s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for !s.ready() {
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 30s; its log:\n%s", s.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return s
}

func (s *Server) ready() bool {
	resp, err := http.Get(s.URL + "/-/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM to the server's PID and waits up to 10 s, then kills it.
func (s *Server) stop(t testing.TB) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		t.Errorf("prometheus (pid %d) ignored SIGTERM for 10s; killed", s.cmd.Process.Pid)
	}
	if t.Failed() {
		t.Logf("prometheus log:\n%s", tail(s.log.Bytes(), 4000))
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Sample is one element of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query evaluates expr now through the HTTP API (GET /api/v1/query) and
// returns the instant vector.
func (s *Server) Query(t testing.TB, expr string) []Sample {
	t.Helper()
	v, err := s.query(expr)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (s *Server) query(expr string) ([]Sample, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %q: %v: %s", expr, err, body)
	}
	if r.Status != "success" || r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: status %s (%s), result type %q", expr, r.Status, r.Error, r.Data.ResultType)
	}
	out := make([]Sample, 0, len(r.Data.Result))
	for _, e := range r.Data.Result {
		text, _ := e.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("query %q: value %v: %v", expr, e.Value[1], err)
		}
		out = append(out, Sample{Labels: e.Metric, Value: v})
	}
	return out, nil
}

// Await evaluates expr every 500 ms until ok accepts the result, and
// returns it; after timeout it fails the test with the last result.
func (s *Server) Await(t testing.TB, expr string, timeout time.Duration, ok func([]Sample) bool) []Sample {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		v, err := s.query(expr)
		if err == nil && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %s gives %v (error %v)", timeout, expr, v, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
