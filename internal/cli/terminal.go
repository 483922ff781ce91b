//go:build linux

package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// colorful reports whether output to w may use colour: w is a terminal,
// colour is not turned off (--no-color), NO_COLOR (https://no-color.org) is
// unset or empty, and TERM is not "dumb" (a terminal that understands no
// escape sequences, as ncurses and git treat it). Each stream decides for
// itself: `probe ... 2>errors.log` on a terminal colours stdout only.
func colorful(w io.Writer, off bool) bool {
	return !off && isTerminal(w) && os.Getenv("NO_COLOR") == "" && !dumbTerminal()
}

// dumbTerminal reports whether TERM says the terminal handles no escape
// sequences (nor a progress bar redrawn in place).
func dumbTerminal() bool { return os.Getenv("TERM") == "dumb" }
