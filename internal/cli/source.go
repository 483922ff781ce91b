//go:build linux

package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/probe-net/probe/core/config"
	"github.com/probe-net/probe/core/targets"
)

// sourceFlags choose the targets a command works on.
type sourceFlags struct {
	vars    []string
	targets []string
	// ignoreEnvHosts leaves PRECONNECT_HOSTS out (serve: its targets
	// come from the file alone, which a reload reads again).
	ignoreEnvHosts bool
}

func (f *sourceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable declared in the file: NAME=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&f.targets, "target", nil, "probe only this target (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("target", completeTargetNames)
	if cmd.ValidArgsFunction == nil {
		cmd.ValidArgsFunction = completeTargetsFile
	}
}

// source is a loaded set of targets and the loader that can render
// diagnostics against the file they came from.
type source struct {
	file   *config.File
	loader *config.Loader
}

// load reads path, or takes the built-in default list when path is "", then
// adds the PRECONNECT_HOSTS targets (unless ignoreEnvHosts) and applies
// --target.
func (f *sourceFlags) load(g *globals, path string) (*source, error) {
	src := &source{loader: config.NewLoader()}
	if path == "" {
		src.file = defaultFile()
		fmt.Fprintf(g.stderr, "probe: no targets file given: using the built-in default list (%s)\n", targetNames(src.file))
	} else {
		vars, err := parseVars(f.vars)
		if err != nil {
			return nil, exit(ExitUsage, "%v", err)
		}
		file, diags := loadFile(src.loader, path, config.LoadOptions{Vars: vars})
		if diags.HasErrors() {
			_ = src.loader.WriteDiagnostics(g.stderr, diags, g.colorErr)
			return nil, exit(ExitUsage, "")
		}
		src.file = file
	}
	if !f.ignoreEnvHosts {
		extra, err := targets.Parse(os.Getenv(targets.EnvHosts))
		if err != nil {
			return nil, exit(ExitUsage, "%v", err)
		}
		if err := addTargets(src.file, extra); err != nil {
			return nil, exit(ExitUsage, "%v", err)
		}
	}
	if err := selectTargets(src.file, f.targets); err != nil {
		return nil, exit(ExitUsage, "%v", err)
	}
	if len(src.file.Targets) == 0 {
		return nil, exit(ExitUsage, "%s declares no targets", path)
	}
	return src, nil
}

// stdinName names standard input in diagnostics; relative paths in a file
// read from it are relative to the working directory.
const stdinName = "<stdin>"

// loadFile loads path, or standard input for "-".
func loadFile(l *config.Loader, path string, opts config.LoadOptions) (*config.File, hcl.Diagnostics) {
	if path != "-" {
		return l.Load(path, opts)
	}
	src, err := io.ReadAll(os.Stdin)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read standard input", Detail: err.Error()}}
	}
	return l.LoadSource(stdinName, src, opts)
}

// defaultFile is what probe works on without a targets file.
func defaultFile() *config.File {
	return &config.File{
		Run:     config.Run{Count: config.DefaultCount, Concurrency: config.DefaultConcurrency},
		Targets: targets.DefaultTargets(),
	}
}

func addTargets(file *config.File, extra []config.Target) error {
	for _, t := range extra {
		if slices.ContainsFunc(file.Targets, func(o config.Target) bool { return o.Name == t.Name }) {
			return fmt.Errorf("%s: target %q is already defined", targets.EnvHosts, t.Name)
		}
		file.Targets = append(file.Targets, t)
	}
	return nil
}

// selectTargets keeps only the named targets, in the order given.
func selectTargets(file *config.File, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var kept []config.Target
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		i := slices.IndexFunc(file.Targets, func(t config.Target) bool { return t.Name == name })
		if i < 0 {
			return fmt.Errorf("--target %q: no such target (have: %s)", name, targetNames(file))
		}
		kept = append(kept, file.Targets[i])
	}
	file.Targets = kept
	return nil
}

func targetNames(file *config.File) string {
	names := make([]string, len(file.Targets))
	for i, t := range file.Targets {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

func parseVars(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--var %q: want NAME=VALUE", kv)
		}
		out[name] = value
	}
	return out, nil
}

// fileArg returns the optional FILE argument.
func fileArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
