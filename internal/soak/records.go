//go:build linux

package soak

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// writeRecords writes every sample (samples.csv, one row per process per
// sample) and every chaos event (events.csv) to dir, for a closer look
// than the table gives.
func writeRecords(dir string, points []Point, events []Event) error {
	var rows [][]string
	rows = append(rows, []string{"elapsed_s", "rounds", "pid", "role", "depth", "fds", "threads", "rss_bytes", "cpu_s"})
	for _, p := range points {
		for _, pr := range p.Procs {
			rows = append(rows, []string{secs(p.At), fmt.Sprintf("%.1f", p.Rounds), strconv.Itoa(pr.PID), pr.Role,
				strconv.Itoa(pr.Depth), strconv.Itoa(pr.FDs), strconv.Itoa(pr.Threads), strconv.FormatInt(pr.RSS, 10),
				fmt.Sprintf("%.2f", pr.CPUSecond)})
		}
	}
	if err := writeCSV(filepath.Join(dir, "samples.csv"), rows); err != nil {
		return err
	}
	rows = [][]string{{"elapsed_s", "progress", "action", "role", "pid", "held_s", "error"}}
	for _, e := range events {
		rows = append(rows, []string{secs(e.At), fmt.Sprintf("%.3f", e.Progress), string(e.Action), e.Role,
			strconv.Itoa(e.PID), secs(e.Held), e.Err})
	}
	return writeCSV(filepath.Join(dir, "events.csv"), rows)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
