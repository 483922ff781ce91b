//go:build linux

package pluginhost

import (
	"fmt"
	"os"
	"os/exec"
)

// newCommand builds the command for an external plugin binary, with an error
// that says what is wrong with the path.
func newCommand(path string, args []string) (*exec.Cmd, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("plugin executable: %w", err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("plugin executable %s is a directory", path)
	}
	if fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("plugin executable %s is not executable", path)
	}
	return exec.Command(path, args...), nil
}

// command is the command serving the plugin: its executable, or the
// built-in's.
func (p *Plugin) command() (*exec.Cmd, error) {
	if p.spec.Path == "" {
		name := p.spec.Builtin
		if name == "" {
			name = p.spec.Name
		}
		return p.host.opts.Builtin(name)
	}
	return newCommand(p.spec.Path, p.spec.Args)
}
