//go:build linux

package cli_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns a pseudo-terminal: what is written to tty can be read
// from master.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// readAll reads what the terminal received until its other end is closed,
// within a bound.
func readAll(t *testing.T, master *os.File) string {
	_ = master.SetReadDeadline(time.Now().Add(10 * time.Second))
	var buf bytes.Buffer
	_, err := io.Copy(&buf, master)
	if err != nil && !errors.Is(err, syscall.EIO) {
		t.Errorf("reading the terminal: %v", err)
	}
	return buf.String()
}

// Colour is decided per stream: a terminal on stdout does not colour what
// goes to a file on stderr, and stderr on a terminal is coloured unless
// NO_COLOR, TERM=dumb or --no-color says otherwise.
func TestColourIsDecidedPerStream(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	writeFile(t, bad, "target \"a\" {\n  host = \"\"\n}\n")

	// stdout a terminal, stderr a pipe: no colour on stderr.
	master, tty := openPTY(t)
	cmd, _, stderr := probeCmd(t, nil, t.TempDir(), "validate", bad)
	cmd.Stdout = tty
	cmd.Run()
	tty.Close()
	readAll(t, master)
	if !strings.Contains(stderr.String(), "error: Invalid host") || strings.Contains(stderr.String(), "\x1b[") {
		t.Errorf("stderr to a pipe: %q", stderr)
	}

	for _, c := range []struct {
		name   string
		env    []string
		args   []string
		colour bool
	}{
		{"terminal", []string{"TERM=xterm", "NO_COLOR="}, nil, true},
		{"NO_COLOR", []string{"TERM=xterm", "NO_COLOR=1"}, nil, false},
		{"TERM=dumb", []string{"TERM=dumb", "NO_COLOR="}, nil, false},
		{"--no-color", []string{"TERM=xterm", "NO_COLOR="}, []string{"--no-color"}, false},
	} {
		master, tty := openPTY(t)
		cmd, stdout, _ := probeCmd(t, nil, t.TempDir(), append([]string{"validate", bad}, c.args...)...)
		cmd.Env = append(cmd.Env, c.env...)
		cmd.Stderr = tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close() // the child holds its own copy
		out := readAll(t, master)
		cmd.Wait()
		coloured := strings.Contains(out, "\x1b[1;31merror\x1b[0m")
		if coloured != c.colour || !strings.Contains(out, "Invalid host") || stdout.Len() != 0 {
			t.Errorf("%s: colour %t, want %t: %q", c.name, coloured, c.colour, out)
		}
	}
}
