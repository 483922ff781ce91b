//go:build linux

package soak

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startChild starts `sleep 60` as a child of the test process; the test
// kills it by pid at the end in any case.
func startChild(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep command: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func TestSamplerReadsTheTree(t *testing.T) {
	cmd := startChild(t)
	s, err := NewSampler(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Sample()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Procs) < 2 {
		t.Fatalf("sampled %+v; want this process and its child", snap.Procs)
	}
	root := snap.Procs[0]
	if root.PID != os.Getpid() || root.Role != RoleProbe || root.Depth != 0 || root.FDs < 3 || root.Threads < 1 || root.RSS <= 0 {
		t.Errorf("root %+v", root)
	}
	var child *Proc
	for i := range snap.Procs {
		if snap.Procs[i].PID == cmd.Process.Pid {
			child = &snap.Procs[i]
		}
	}
	if child == nil || child.Depth != 1 || child.Role != "sleep" || child.Start == 0 {
		t.Errorf("child %+v; want pid %d, depth 1, role sleep", child, cmd.Process.Pid)
	}
}

// state is the process state letter from /proc/PID/stat.
func state(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	return strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))[0]
}

func TestChaosPausesAndKillsAChild(t *testing.T) {
	cmd := startChild(t)
	pid := cmd.Process.Pid
	c, err := NewChaos(os.Getpid(), ChaosOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kids := c.children()
	if len(kids) != 1 || kids[0].pid != pid {
		t.Fatalf("children %+v; want only pid %d", kids, pid)
	}
	// waitid reports the child's stop as it happens, however short.
	stopped := make(chan error, 1)
	go func() {
		var info unix.Siginfo
		stopped <- unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED, nil)
	}()
	ev := c.act(context.Background(), kids[0], ActionPause, 0)
	if ev.Err != "" || ev.Held <= 0 {
		t.Fatalf("pause: %+v", ev)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("waitid: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child was never stopped")
	}
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WCONTINUED|unix.WNOHANG, nil); err != nil || state(pid) == "T" {
		t.Errorf("the child was not continued after the pause: %v, state %s", err, state(pid))
	}
	if ev := c.act(context.Background(), kids[0], ActionKill, 0); ev.Err != "" {
		t.Fatalf("kill: %+v", ev)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Errorf("child ended with %v, want SIGKILL", err)
	}
}

// A pid whose start time is not the one sampled is another process: chaos
// refuses to signal it.
func TestChaosRefusesAReusedPID(t *testing.T) {
	cmd := startChild(t)
	c, err := NewChaos(os.Getpid(), ChaosOptions{})
	if err != nil {
		t.Fatal(err)
	}
	k := c.children()[0]
	k.start++
	if ev := c.act(context.Background(), k, ActionKill, 0); ev.Err == "" {
		t.Errorf("signalled a process whose start time differs: %+v", ev)
	}
	if s := state(cmd.Process.Pid); s == "" || s == "Z" {
		t.Errorf("the child was killed (state %q)", s)
	}
}

func TestChaosPlanSpreadsDisruptions(t *testing.T) {
	c, err := NewChaos(os.Getpid(), ChaosOptions{Seed: 7, Disruptions: 2})
	if err != nil {
		t.Fatal(err)
	}
	plan := c.makePlan([]child{{role: "dns"}, {role: "tcp"}, {role: "tls"}})
	if len(plan) != 6 {
		t.Fatalf("%d planned, want 6", len(plan))
	}
	per := map[string][]Action{}
	for i, p := range plan {
		if p.at < 0.1 || p.at > 0.8 || i > 0 && p.at < plan[i-1].at {
			t.Errorf("planned at %.3f (previous %+v)", p.at, plan[max(i-1, 0)])
		}
		per[p.role] = append(per[p.role], p.action)
	}
	for role, actions := range per {
		if len(actions) != 2 || actions[0] == actions[1] {
			t.Errorf("%s: %v; want one kill and one stop", role, actions)
		}
	}
}

// A child that ended and was not waited for is counted as a zombie, not
// sampled.
func TestSamplerCountsZombies(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Skipf("no true command: %v", err)
	}
	defer cmd.Wait()
	var info unix.Siginfo // wait for the exit without reaping it
	if err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	s, err := NewSampler(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Sample()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range snap.Procs {
		if p.PID == cmd.Process.Pid {
			t.Errorf("the zombie was sampled: %+v", p)
		}
	}
	if snap.Zombies != 1 {
		t.Errorf("%d zombies, want 1", snap.Zombies)
	}
}
