// Command probe-plugin-statichosts is a resolve-phase plugin for probe that
// answers from a fixed map of names to addresses (and, optionally, a file in
// /etc/hosts format) instead of asking DNS.
//
// It is also the worked example for plugin authors: it uses only the public
// SDK (github.com/probe-net/probe/sdk and sdk/server) and the standard
// library. Read phase.go for the Phase implementation, hosts.go for config
// parsing and phase_test.go for testing a phase with sdk/sdktest; README.md
// walks through it.
//
// Build it and point a plugin block at it:
//
//	go build -o bin/probe-plugin-statichosts ./examples/plugins/statichosts
//
//	plugin "dns" {
//	  path = "../bin/probe-plugin-statichosts"
//	  config {
//	    hosts = { "www.probe.test" = ["127.0.0.1"] }
//	  }
//	}
package main

import "github.com/probe-net/probe/sdk/server"

// main hands the phase to the SDK, which speaks the plugin protocol with
// probe. Nothing may print to stdout before this: stdout carries the
// plugin handshake.
func main() { server.Serve(New()) }
