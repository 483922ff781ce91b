// Command probe-testbed runs the loopback testbed (package
// examples/testbed) for probe's demo: a DNS server for the zone probe.test
// (UDP, TCP, DNS over TLS and DNS over HTTPS), HTTP, HTTPS and TCP echo
// servers, all on 127.0.0.1. --dns-no-udp drops every UDP DNS query, to try
// the recipes for locked-down networks (docs/locked-down-networks.md).
//
// With a command after "--", it runs the command with the testbed's
// addresses in its environment (PROBE_VAR_<name>=<value>), forwards SIGINT
// and SIGTERM to it, stops the testbed when it exits and exits with its
// exit code. The command runs in its own process group, so a Ctrl-C at the
// terminal reaches it once, forwarded by probe-testbed, not twice:
//
//	probe-testbed -- probe run examples/testbed.hcl
//
// Without a command it prints the variables as `export` lines and serves
// until SIGINT or SIGTERM.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/probe-net/probe/examples/testbed"
)

const usage = `usage: probe-testbed [--dir DIR] [--dns-no-udp] [-- COMMAND [ARGS...]]

Starts loopback servers for probe's demo and tests, all on 127.0.0.1:
  DNS    authoritative for probe.test (UDP and TCP, one port)
         www, secure -> 127.0.0.1; alias -> CNAME www; v6 -> ::1 only;
         servfail -> SERVFAIL; other names -> NXDOMAIN; outside -> REFUSED
  DoT    the same zone over TLS, certificate for dns.probe.test and 127.0.0.1
  HTTP   200 on any path; /redirect -> 301; /status/NNN; /slow?ms=N
  HTTPS  the same, certificate for secure.probe.test from a throwaway CA;
         DoH (POST) for the zone at https://dns.probe.test:PORT/dns-query
  TCP    echoes what it reads

With COMMAND: runs it with PROBE_VAR_dns_server, PROBE_VAR_dot_server,
PROBE_VAR_doh_url, PROBE_VAR_http_port, PROBE_VAR_https_port,
PROBE_VAR_tcp_port and PROBE_VAR_ca_file added to its environment, forwards
SIGINT/SIGTERM to it, stops the servers when it exits and exits with its
exit code.
Without COMMAND: prints those variables as export lines and serves until
SIGINT or SIGTERM.

Examples:
  probe-testbed -- probe run examples/testbed.hcl
  probe-testbed --dns-no-udp -- probe run examples/lockdown-tcp.hcl

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the exit, so tests can drive it. It returns the exit
// code: the command's, 0 after serving until a signal, 2 for bad usage,
// 1 when the testbed fails, 127 when the command cannot be started.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe-testbed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "write ca.pem to `DIR` (created if needed; kept after exit)\n"+
		"(default: a temporary directory, removed at exit)")
	noUDP := fs.Bool("dns-no-udp", false, "drop every DNS query over UDP unanswered (it times out), as a firewall\n"+
		"blocking port 53/udp would; TCP, DoT and DoH keep answering")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// Parsing stops at "--" or at the first non-flag argument; either way
	// what is left is the command.
	command := fs.Args()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)

	tb, err := testbed.Start(testbed.Options{Dir: *dir, DNSNoUDP: *noUDP})
	if err != nil {
		fmt.Fprintf(stderr, "probe-testbed: %v\n", err)
		return 1
	}
	defer func() {
		if err := tb.Close(); err != nil {
			fmt.Fprintf(stderr, "probe-testbed: stopping: %v\n", err)
		}
	}()
	if len(command) == 0 {
		return serve(tb, signals, stdout, stderr)
	}
	return runCommand(tb, command, signals, stdin, stdout, stderr)
}

// serve prints the variables and waits for a signal.
func serve(tb *testbed.Testbed, signals <-chan os.Signal, stdout, stderr io.Writer) int {
	for _, kv := range tb.Env() {
		name, value, _ := strings.Cut(kv, "=")
		fmt.Fprintf(stdout, "export %s=%s\n", name, shellQuote(value))
	}
	fmt.Fprintf(stderr, "probe-testbed: serving DNS %s, DoT %s, DoH %s, HTTP %s, HTTPS %s, TCP %s; Ctrl-C stops\n",
		tb.DNSAddr, tb.DoTAddr, tb.DoHURL, tb.HTTPAddr, tb.HTTPSAddr, tb.TCPAddr)
	sig := <-signals
	fmt.Fprintf(stderr, "probe-testbed: %v, stopping\n", sig)
	return 0
}

// runCommand runs command with the testbed's variables in its environment
// and returns its exit code, forwarding signals to it meanwhile.
func runCommand(tb *testbed.Testbed, command []string, signals <-chan os.Signal, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(os.Environ(), tb.Env()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	// Its own process group: the terminal's SIGINT goes to probe-testbed
	// alone, which forwards it, so the command sees each signal once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "probe-testbed: %v\n", err)
		return 127
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-signals:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			return exitCode(err, stderr)
		}
	}
}

// exitCode turns the command's Wait error into an exit code, following the
// shell's convention of 128+N for a command killed by signal N.
func exitCode(err error, stderr io.Writer) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintf(stderr, "probe-testbed: %v\n", err)
		return 1
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@+=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
