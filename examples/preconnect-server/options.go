package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/probe-net/probe/preconnect"
)

// options is the parsed command line.
type options struct {
	listen     string
	upstreams  []upstream
	dnsServers []string
	caFile     string
	maxIdle    time.Duration
	rewarm     bool
}

// upstream is one server the app calls: the URL it requests and the
// target it preconnects.
type upstream struct {
	url    string
	target preconnect.Target
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	var ups, dns listFlag
	fs := flag.NewFlagSet("preconnect-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to serve on")
	fs.Var(&ups, "upstream", "upstream URL to preconnect and call, http or https (repeatable)")
	fs.Var(&dns, "dns-server", "DNS server to resolve upstreams with, ip or ip:port (repeatable; default: /etc/resolv.conf)")
	fs.StringVar(&o.caFile, "ca-file", "", "PEM file of CAs to trust for https upstreams (default: the system's)")
	fs.DurationVar(&o.maxIdle, "max-idle", preconnect.DefaultMaxIdle, "close a preconnected connection unused this long; keep below the upstream's idle timeout")
	fs.BoolVar(&o.rewarm, "rewarm", true, "replace preconnected connections closed unused, so upstreams stay warm")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.dnsServers = dns
	var err error
	if o.upstreams, err = upstreams(ups); err != nil {
		return o, err
	}
	return o, nil
}

// upstreams reads the --upstream URLs and the http and https entries of
// PRECONNECT_HOSTS.
func upstreams(urls []string) ([]upstream, error) {
	var out []upstream
	for _, raw := range urls {
		u, err := parseUpstream(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	env, err := preconnect.HostsFromEnv()
	if err != nil {
		return nil, err
	}
	for _, t := range env {
		if t.Protocol != "http" && t.Protocol != "https" {
			return nil, fmt.Errorf("%s entry %q: an upstream is http or https", preconnect.EnvHosts, t.Name)
		}
		out = append(out, upstream{url: t.Protocol + "://" + hostPort(t) + "/", target: t})
	}
	if len(out) == 0 {
		return nil, errors.New("no upstreams: give --upstream URL or set " + preconnect.EnvHosts)
	}
	return out, nil
}

func parseUpstream(raw string) (upstream, error) {
	t, err := preconnect.TargetFromURL(raw)
	if err != nil {
		var e *preconnect.Error
		if errors.As(err, &e) {
			return upstream{}, fmt.Errorf("--upstream: %s", e.Message)
		}
		return upstream{}, fmt.Errorf("--upstream: %v", err)
	}
	t.Name = raw
	return upstream{url: raw, target: t}, nil
}

func hostPort(t preconnect.Target) string {
	if strings.Contains(t.Host, ":") {
		return fmt.Sprintf("[%s]:%d", t.Host, t.Port)
	}
	return fmt.Sprintf("%s:%d", t.Host, t.Port)
}

// config is the preconnect configuration the options ask for.
func (o options) config() preconnect.Config {
	var cfg preconnect.Config
	if len(o.dnsServers) > 0 {
		cfg.DNS = preconnect.Attrs{"servers": o.dnsServers}
	}
	if o.caFile != "" {
		cfg.TLS = preconnect.Attrs{"ca_file": o.caFile}
	}
	return cfg
}
