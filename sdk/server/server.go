//go:build linux

// Package server turns an sdk.Phase into a plugin process. A plugin's main
// is one call:
//
//	func main() { server.Serve(myphase.New()) }
package server

import (
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/probe-net/probe/internal/fdpass"
	"github.com/probe-net/probe/internal/pluginproc"
	"github.com/probe-net/probe/internal/wire"
	"github.com/probe-net/probe/sdk"
)

// Serve serves phase over go-plugin until the host stops it. It never
// returns normally; run by hand it prints an explanation and exits 1.
func Serve(phase sdk.Phase) {
	detachStdin()
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       phase.Describe().Name,
		Level:      hclog.LevelFromString(os.Getenv(pluginproc.EnvLogLevel)),
		Output:     os.Stderr, // created before Serve redirects stderr
		JSONFormat: true,
	})
	var ch *fdpass.Channel
	if os.Getenv(fdpass.EnvChannel) != "" {
		var err error
		ch, err = fdpass.FromFile(os.NewFile(fdpass.ChildFD, "probe-fd-channel"))
		if err != nil {
			logger.Error("cannot open the fd channel", "error", err)
			os.Exit(1)
		}
	}
	cleanUpIfOrphaned(logger)
	go wire.Warm() // while the host connects, describes and configures
	writeProfile := startProfile(phase.Describe().Name, logger)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSet(&wire.GRPCPlugin{Impl: withLogger{phase, logger}, ServerChannel: ch}),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           logger,
	})
	writeProfile()
	os.Exit(0)
}

// detachStdin points standard input at /dev/null. go-plugin hands a plugin
// its host's stdin (a terminal, a pipe), which a plugin never reads and
// must not hold open or steal input from.
func detachStdin() {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return
	}
	defer null.Close()
	_ = syscall.Dup3(int(null.Fd()), 0, 0)
}

// cleanUpIfOrphaned handles the SIGTERM the kernel sends when the host dies
// (the host sets Pdeathsig): the host can no longer remove this process's
// socket file or kill its process group, so the process does both: removes
// the file, then kills its group, which holds what it forked (the host
// starts each plugin as the leader of a group of its own). Pdeathsig fires when
// the host's forking thread exits, which during a SIGKILL can come just
// before this process is reparented; hence the short wait for a new parent.
// A SIGTERM from anyone else while the host lives just ends the process.
func cleanUpIfOrphaned(logger hclog.Logger) {
	parent := os.Getppid()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	go func() {
		<-sig
		dir := os.Getenv(pluginproc.EnvRunDir)
		switch {
		case !probeRunDir(dir):
			// Not started by probe's host: nothing of ours to clean up.
		case reparented(parent, 2*time.Second):
			removeRunDir(dir)
			killOwnGroup()
		default:
			logger.Warn("SIGTERM while the host still lives: exiting without killing the process group")
		}
		os.Exit(1)
	}()
}

// killOwnGroup SIGKILLs this process's group, this process included, if
// it leads one: as probe's host does when it stops a plugin, which it
// starts as the leader of a group of its own (Setpgid). Called only when
// probeRunDir holds, so a plugin run by hand from a shell, which leads a
// job-control group that may hold a pipeline's other commands, kills
// nothing.
func killOwnGroup() {
	if pid := os.Getpid(); syscall.Getpgrp() == pid {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// probeRunDir reports whether dir (EnvRunDir) is a run directory of
// probe's host: the mark that this process was started by it.
func probeRunDir(dir string) bool {
	return dir != "" && strings.HasPrefix(filepath.Base(dir), "probe-run-")
}

// reparented waits up to d for this process's parent to stop being parent.
func reparented(parent int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for os.Getppid() == parent {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// removeRunDir removes the socket files in dir and then dir itself, if empty.
// It touches nothing whose name does not look like go-plugin's.
func removeRunDir(dir string) {
	if !probeRunDir(dir) {
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "plugin") {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir)
}
