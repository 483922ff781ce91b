package benchsuite

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// Loopback describes the servers every comparison probes, running in a
// process of their own (so that no prober shares a process, and a warm
// scheduler, with them): an HTTPS server listening on the same port of
// several loopback addresses, 127.0.0.1 first (certificate from a
// throwaway CA, for *.bench.test and every address), and an authoritative
// DNS server for Zone on 127.0.0.1 (UDP and TCP). Nothing in it touches
// any other address.
type Loopback struct {
	Addrs     []netip.Addr // where the HTTPS server listens
	HTTPSPort int
	DNSAddr   string // "127.0.0.1:PORT", UDP and TCP
	CAFile    string // PEM of the CA that signed the HTTPS certificate
	// DNS53Addr is the same zone on port 53 of a 127.0.53.x address when
	// LoopbackOptions.DNSPort53 asked for it and binding worked; else
	// DNS53Error says why not.
	DNS53Addr, DNS53Error string
	// PID is the server process.
	PID int

	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}
}

// LoopbackOptions configure StartLoopback.
type LoopbackOptions struct {
	// Addresses is how many loopback addresses the HTTPS server listens
	// on; at least 1.
	Addresses int
	// DNSPort53 also serves the zone on 127.0.53.x:53 (root only).
	DNSPort53 bool
}

// EnvServe marks the server process: a program that calls ServeMain
// first thing in main (or TestMain) becomes it when this is set.
const EnvServe = "PROBE_BENCH_SERVE"

// StartLoopback starts the servers in a new process of this executable,
// which must call ServeMain first thing. Close stops it.
func StartLoopback(opts LoopbackOptions) (*Loopback, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), EnvServe+"="+string(raw))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	l := &Loopback{cmd: cmd, stdin: stdin, PID: cmd.Process.Pid, done: make(chan struct{})}
	desc := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err == nil {
			err = json.Unmarshal(line, l)
		}
		desc <- err
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = cmd.Wait()
		close(l.done)
	}()
	select {
	case err = <-desc:
	case <-time.After(30 * time.Second):
		err = errors.New("timed out")
	}
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("starting the server process: %w", err)
	}
	return l, nil
}

// Close stops the server process: it exits when its stdin closes.
func (l *Loopback) Close() error {
	l.stdin.Close()
	select {
	case <-l.done:
	case <-time.After(10 * time.Second):
		_ = l.cmd.Process.Kill()
		<-l.done
	}
	return nil
}

// ServeMain turns this process into the server process when EnvServe is
// set: it serves until its stdin closes, then exits. Otherwise it returns
// at once.
func ServeMain() {
	raw := os.Getenv(EnvServe)
	if raw == "" {
		return
	}
	var opts LoopbackOptions
	if err := json.Unmarshal([]byte(raw), &opts); err != nil {
		fmt.Fprintln(os.Stderr, "probe-bench servers:", err)
		os.Exit(2)
	}
	s, err := startServers(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe-bench servers:", err)
		os.Exit(1)
	}
	desc, _ := json.Marshal(s.Loopback)
	os.Stdout.Write(append(desc, '\n'))
	_, _ = io.Copy(io.Discard, os.Stdin)
	code := 0
	if err := s.close(); err != nil {
		fmt.Fprintln(os.Stderr, "probe-bench servers: "+strconv.Quote(err.Error()))
		code = 1
	}
	os.Exit(code)
}
