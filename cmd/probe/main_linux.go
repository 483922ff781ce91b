//go:build linux

// Command probe measures how long each phase of a connection takes — DNS,
// TCP, TLS, the first HTTP round trip — with every phase served by a plugin
// in its own process. See `probe --help`.
package main

import (
	"os"

	"github.com/probe-net/probe/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
