//go:build linux

// Package proctest is a test helper for tests that start processes
// (plugins, probe itself, shell scripts) and must show what those leave
// behind: it reads /proc through prometheus/procfs for a process's
// children, a process group's members and which processes still live,
// stops a process for the length of a test, and waits, within bounds, for
// a pid file or for processes to be gone. Linux only.
package proctest

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
)

// Children lists the processes whose parent is pid, zombies included (they
// are children until reaped).
func Children(pid int) []int {
	return matching(func(st procfs.ProcStat) bool { return st.PPID == pid })
}

// Group lists the live (not zombie) members of process group pgid.
func Group(pgid int) []int {
	return matching(func(st procfs.ProcStat) bool { return st.PGRP == pgid && st.State != "Z" })
}

// Alive lists those of pids that still exist and are not zombies.
func Alive(pids []int) []int {
	var out []int
	for _, pid := range pids {
		p, err := procfs.NewProc(pid)
		if err != nil {
			continue
		}
		if st, err := p.Stat(); err == nil && st.State != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// matching lists the processes whose /proc/PID/stat satisfies keep; a
// process that ends while it is read is left out.
func matching(keep func(procfs.ProcStat) bool) []int {
	all, err := procfs.AllProcs()
	if err != nil {
		return nil
	}
	var out []int
	for _, p := range all {
		if st, err := p.Stat(); err == nil && keep(st) {
			out = append(out, p.PID)
		}
	}
	return out
}

// Stop sends SIGSTOP to pid and, when the test ends, SIGCONT and SIGKILL,
// so nothing waits on a stopped process beyond the test.
func Stop(t testing.TB, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGCONT)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	})
}

// GroupLeaderFromFile waits up to 10 s for a shell script to write its pid
// ($$) to path, and returns it. The script must lead its own process group
// (as plugins do): the whole group is killed when the test ends, in any
// case. The test fails if no pid appears in time.
func GroupLeaderFromFile(t testing.TB, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
			t.Cleanup(func() {
				// Only a group still there: its number may be reused.
				if len(Group(pid)) > 0 {
					_ = syscall.Kill(-pid, syscall.SIGKILL)
				}
			})
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no pid in %s within 10s", path)
	return 0
}

// WaitGone waits up to 10 s for list to come back empty and fails the
// test (without stopping it) if it does not, naming what is still running.
func WaitGone(t testing.TB, what string, list func() []int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if len(list()) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("%s is still running: %v", what, list())
}
