//go:build linux

package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
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
	dir := t.TempDir()
	pidFile, sleepFile := filepath.Join(dir, "pid"), filepath.Join(dir, "sleep")
	// The sleep's pid is written before the shell's, so it is there once
	// GroupLeaderFromFile returns.
	cmd := startGroup(t, fmt.Sprintf("sleep 30 & echo $! > %s; echo $$ > %s; wait", sleepFile, pidFile))
	leader := GroupLeaderFromFile(t, pidFile)
	if leader != cmd.Process.Pid {
		t.Fatalf("pid file says %d, the shell is %d", leader, cmd.Process.Pid)
	}
	b, err := os.ReadFile(sleepFile)
	sleeper, perr := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || perr != nil {
		t.Fatalf("the sleep's pid: %q, %v, %v", b, err, perr)
	}
	if kids := Children(os.Getpid()); !slices.Contains(kids, leader) {
		t.Errorf("Children(test) = %v, lacks the shell %d", kids, leader)
	}
	if kids := Children(leader); !slices.Equal(kids, []int{sleeper}) {
		t.Errorf("Children(shell) = %v, want its sleep %d", kids, sleeper)
	}
	if g := Group(leader); len(g) != 2 || !slices.Contains(g, leader) || !slices.Contains(g, sleeper) {
		t.Errorf("Group(%d) = %v, want the shell and its sleep %d", leader, g, sleeper)
	}
	if a := Alive([]int{leader, sleeper, 0}); len(a) != 2 {
		t.Errorf("Alive = %v, want the shell and its sleep", a)
	}
	if err := syscall.Kill(-leader, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	WaitGone(t, "the killed sleep", func() []int { return Alive([]int{sleeper}) })
	// The shell stays a zombie until reaped: Children keeps it, Alive and
	// Group do not.
	WaitGone(t, "the killed shell", func() []int { return Alive([]int{leader}) })
	if kids := Children(os.Getpid()); !slices.Contains(kids, leader) {
		t.Errorf("Children(test) = %v, lacks the unreaped shell %d", kids, leader)
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
		// The child is ours: wait4 with WUNTRACED returns once it stopped.
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err != nil || !ws.Stopped() {
			t.Fatalf("wait4: %v, status %v; want stopped", err, ws)
		}
	})
	// The subtest's end sent SIGCONT and SIGKILL.
	if err := cmd.Wait(); err == nil || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("after the subtest: %v, want killed by SIGKILL", err)
	}
}
