package benchsuite

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Usage is what a set of processes consumed: CPU time (user + system) and
// context switches, summed over their threads. On a shared machine these
// are steadier than wall time: another user's load delays a probe without
// adding to its CPU time or its switches.
type Usage struct {
	CPU      time.Duration
	Switches int64
}

// Sub returns u - v.
func (u Usage) Sub(v Usage) Usage { return Usage{u.CPU - v.CPU, u.Switches - v.Switches} }

// Add returns u + v.
func (u Usage) Add(v Usage) Usage { return Usage{u.CPU + v.CPU, u.Switches + v.Switches} }

// clockTick is USER_HZ, 100 on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// ProcessUsage reads pid's usage from /proc (Linux): CPU time from
// /proc/PID/stat, context switches from each /proc/PID/task/TID/status.
func ProcessUsage(pid int) (Usage, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Usage{}, err
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14, stime 15.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return Usage{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	u := Usage{CPU: time.Duration(ut+st) * clockTick}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, t := range tasks {
		u.Switches += switches(t)
	}
	return u, nil
}

func switches(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.HasSuffix(k, "ctxt_switches") {
			x, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			n += x
		}
	}
	return n
}

// TotalUsage sums ProcessUsage over pids, skipping any that has gone.
func TotalUsage(pids []int) Usage {
	var total Usage
	for _, pid := range pids {
		if u, err := ProcessUsage(pid); err == nil {
			total = total.Add(u)
		}
	}
	return total
}
