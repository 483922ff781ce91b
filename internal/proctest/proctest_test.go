//go:build linux

package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
)

// startGroup starts sh running script in a process group of its own and
// kills the group when the test ends.
func startGroup(t *testing.T, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd
}

func TestChildrenGroupAndAliveFollowAProcessTree(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := startGroup(t, fmt.Sprintf("echo $$ > %s; sleep 30 & wait", pidFile))
	leader := GroupLeaderFromFile(t, pidFile)
	if leader != cmd.Process.Pid {
		t.Fatalf("pid file says %d, the shell is %d", leader, cmd.Process.Pid)
	}
	if !slices.Contains(Children(os.Getpid()), leader) {
		t.Errorf("Children(test) = %v, lacks the shell %d", Children(os.Getpid()), leader)
	}
	var sleeper []int
	waitUntil(t, "the shell's sleep", func() bool { sleeper = Children(leader); return len(sleeper) == 1 })
	if g := Group(leader); !slices.Contains(g, leader) || !slices.Contains(g, sleeper[0]) || len(g) != 2 {
		t.Errorf("Group(%d) = %v, want the shell and its sleep %d", leader, g, sleeper[0])
	}
	if a := Alive([]int{leader, sleeper[0], 0}); len(a) != 2 {
		t.Errorf("Alive = %v, want the shell and its sleep", a)
	}
	if err := syscall.Kill(-leader, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	WaitGone(t, "the killed sleep", func() []int { return Alive(sleeper) })
	// The shell stays a zombie until reaped: Children keeps it, Alive and
	// Group do not.
	WaitGone(t, "the killed shell", func() []int { return Alive([]int{leader}) })
	if !slices.Contains(Children(os.Getpid()), leader) {
		t.Errorf("Children(test) = %v, lacks the unreaped shell %d", Children(os.Getpid()), leader)
	}
	if g := Group(leader); len(g) != 0 {
		t.Errorf("Group(%d) = %v after the kill, want none", leader, g)
	}
}

func TestStopStopsUntilTheTestEnds(t *testing.T) {
	cmd := startGroup(t, "sleep 30")
	pid := cmd.Process.Pid
	t.Run("stopped", func(t *testing.T) {
		Stop(t, pid)
		waitUntil(t, "the sleep to stop", func() bool { return state(pid) == "T" })
	})
	// The subtest's end sent SIGCONT and SIGKILL.
	if err := cmd.Wait(); err == nil || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("after the subtest: %v, want killed by SIGKILL", err)
	}
}

// waitUntil polls cond for up to 5 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// state is the process state letter of pid ("" once it is gone).
func state(pid int) string {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return ""
	}
	st, err := p.Stat()
	if err != nil {
		return ""
	}
	return st.State
}
