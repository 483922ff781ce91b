//go:build !linux

package main

import (
	"fmt"
	"os"
)

// probe hands connected sockets from one plugin process to the next with
// SCM_RIGHTS on Unix sockets, which only its Linux build implements (and
// Windows lacks altogether). Say so instead of pretending.
func main() {
	fmt.Fprintln(os.Stderr, "probe: this platform is not supported: probe passes sockets between its plugin processes (SCM_RIGHTS) and runs on Linux only")
	os.Exit(3)
}
