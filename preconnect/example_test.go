package preconnect_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"

	"github.com/probe-net/probe/examples/testbed"
	"github.com/probe-net/probe/preconnect"
)

// The examples run against the loopback testbed: a DNS server for the
// zone probe.test, HTTP and HTTPS servers, a TCP echo server.
func exampleTestbed() (*testbed.Testbed, preconnect.Config) {
	tb, err := testbed.Start(testbed.Options{})
	if err != nil {
		log.Fatal(err)
	}
	return tb, preconnect.Config{
		DNS: preconnect.Attrs{"servers": []string{tb.DNSAddr}}, // never the system resolver
		TLS: preconnect.Attrs{"ca_file": tb.CAFile},
	}
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

func ExampleClient_Host() {
	tb, cfg := exampleTestbed()
	defer tb.Close()
	client, err := preconnect.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	r, err := client.Host(context.Background(), preconnect.Target{Host: "secure.probe.test", Port: portOf(tb.HTTPSAddr), Protocol: "https"})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range r.Phases {
		fmt.Println(p.Name, p.Status, p.Duration > 0)
	}
	fmt.Println(r.TLSInfo.Version, r.TLSInfo.ALPN, "resumed:", r.TLSInfo.Resumed)
	fmt.Println(r.Latency == r.DNS+r.TCP+r.TLS+r.HTTP)
	// Output:
	// dns ok true
	// tcp ok true
	// tls ok true
	// http ok true
	// TLS 1.3 http/1.1 resumed: false
	// true
}

func ExampleClient_All() {
	tb, cfg := exampleTestbed()
	defer tb.Close()
	client, err := preconnect.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	targets := []preconnect.Target{
		{Name: "web", Host: "www.probe.test", Port: portOf(tb.HTTPAddr), Protocol: "http"},
		{Name: "raw", Host: "127.0.0.1", Port: portOf(tb.TCPAddr), Protocol: "tcp"},
		{Name: "missing", Host: "missing.probe.test", Port: portOf(tb.HTTPAddr), Protocol: "http"},
	}
	results := client.All(context.Background(), targets, preconnect.Options{Sequential: true,
		OnResult: func(r preconnect.Result) { fmt.Println("done:", r.Target.Name) }})
	for _, r := range results {
		if e, ok := r.Err.(*preconnect.Error); ok {
			fmt.Printf("%s failed at %s: %s\n", r.Target.Name, e.Phase, e.Kind)
			continue
		}
		fmt.Printf("%s connected to %s\n", r.Target.Name, r.Address.Addr())
	}
	// Output:
	// done: web
	// done: raw
	// done: missing
	// web connected to 127.0.0.1
	// raw connected to 127.0.0.1
	// missing failed at dns: nxdomain
}

func ExampleStats() {
	tb, cfg := exampleTestbed()
	defer tb.Close()
	client, err := preconnect.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	web := preconnect.Target{Host: "www.probe.test", Port: portOf(tb.HTTPAddr), Protocol: "http"}
	results := client.All(context.Background(), []preconnect.Target{web, web, web}, preconnect.Options{})
	s := preconnect.Stats(results)
	fmt.Printf("%d probes, %d ok, %d failed\n", s.Count, s.OK, s.Failed)
	for _, p := range s.Phases {
		fmt.Printf("%s: %d ok, min <= p50 <= p90 <= max: %v\n", p.Name, p.OK, p.Min <= p.P50 && p.P50 <= p.P90 && p.P90 <= p.Max)
	}
	fmt.Println("mean latency > 0:", s.Latency.Mean > 0)
	// Output:
	// 3 probes, 3 ok, 0 failed
	// dns: 3 ok, min <= p50 <= p90 <= max: true
	// tcp: 3 ok, min <= p50 <= p90 <= max: true
	// http: 3 ok, min <= p50 <= p90 <= max: true
	// mean latency > 0: true
}

func ExamplePool() {
	tb, cfg := exampleTestbed()
	defer tb.Close()
	pool, err := preconnect.NewPool(cfg, preconnect.PoolOptions{Rewarm: true})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// At start-up: connect to the upstream before any request needs it.
	port := portOf(tb.HTTPSAddr)
	for _, r := range pool.Warm(context.Background(), preconnect.Target{Host: "secure.probe.test", Port: port, Protocol: "https"}) {
		if r.Err != nil {
			log.Fatal(r.Err)
		}
	}

	// Later: the first request finds the connection ready.
	ctx := preconnect.WithTrace(context.Background(), &preconnect.Trace{Dial: func(d preconnect.DialInfo) {
		fmt.Println("preconnected:", d.Preconnected)
	}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("https://secure.probe.test:%d/", port), nil)
	resp, err := (&http.Client{Transport: pool.Transport()}).Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	s := pool.Stats()
	fmt.Printf("warmed %d, used %d, dialled on demand %d\n", s.Warmed, s.Used, s.Dialed)
	// Output:
	// preconnected: true
	// 200 OK
	// warmed 1, used 1, dialled on demand 0
}

func ExampleParseHosts() {
	targets, err := preconnect.ParseHosts("db.internal:5432:tcp, [::1]:8443:https")
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range targets {
		fmt.Println(t.Name, t.Host, t.Port, t.Protocol, preconnect.Phases(t.Protocol))
	}
	_, err = preconnect.ParseHosts("db.internal:5432")
	fmt.Println(err)
	// Output:
	// db.internal:5432:tcp db.internal 5432 tcp [dns tcp]
	// [::1]:8443:https ::1 8443 https [dns tcp tls http]
	// PRECONNECT_HOSTS entry 1 "db.internal:5432": want host:port:proto
}

func ExampleTargetFromURL() {
	for _, u := range []string{"https://api.example.com/v1/items", "http://[::1]:8080/healthz", "ftp://files.example.com/"} {
		t, err := preconnect.TargetFromURL(u)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(t.Host, t.Port, t.Protocol, preconnect.Phases(t.Protocol))
	}
	// Output:
	// api.example.com 443 https [dns tcp tls http]
	// ::1 8080 http [dns tcp http]
	// preconnect: input: URL "ftp://files.example.com/": the scheme must be http or https
}
