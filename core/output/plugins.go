package output

// This file renders the report of `probe plugins`: the plugins a targets
// file uses, as a table and as the probe.plugins/v1 document.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/probe-net/probe/internal/safetext"
)

// PluginsSchema identifies the plugins document layout (docs/schema/probe.plugins.v1.json).
const PluginsSchema = "probe.plugins/v1"

// PluginsReport lists the plugins serving a file's phases.
type PluginsReport struct {
	Plugins []PluginInfo
}

// PluginInfo is what a plugin said about itself, and where it comes from.
type PluginInfo struct {
	Phase   string            `json:"phase"`
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Source  string            `json:"source"`         // "built-in NAME" or the executable's path
	Path    string            `json:"path,omitempty"` // the executable; "" for a built-in
	Summary string            `json:"summary,omitempty"`
	Config  []ConfigAttribute `json:"config"`
}

// ConfigAttribute is one attribute of a plugin's config schema.
type ConfigAttribute struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Description string `json:"description,omitempty"`
	// Path marks a file path, resolved against the targets file's directory
	// (sdk.Attribute.Path).
	Path bool `json:"path,omitempty"`
}

// pluginsFormats are the formats of a plugins report.
var pluginsFormats = formatTable[PluginsReport]{
	{FormatTable, writePluginsTable},
	{FormatJSON, writePluginsJSON},
}

// Formats lists table and json.
func (PluginsReport) Formats() []Format { return pluginsFormats.formats() }

// Render writes the report in format f.
func (r PluginsReport) Render(w io.Writer, f Format, o Options) error {
	return pluginsFormats.render(w, f, r, o)
}

// writePluginsTable lists the plugins; summaries and config schemas are in
// the JSON form, which has room for them. What a plugin says of itself is
// escaped (safetext).
func writePluginsTable(w io.Writer, r PluginsReport, _ Options) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tPLUGIN\tVERSION\tSOURCE")
	for _, p := range r.Plugins {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Phase, safetext.Escape(p.Name), safetext.Escape(p.Version), safetext.Escape(shortPath(p.Source)))
	}
	return tw.Flush()
}

// shortPath shows an absolute path relative to the working directory when
// it lies below it.
func shortPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}

// writePluginsJSON writes the list as one document (probe.plugins/v1).
func writePluginsJSON(w io.Writer, r PluginsReport, _ Options) error {
	doc := struct {
		Schema  string       `json:"schema"`
		Plugins []PluginInfo `json:"plugins"`
	}{Schema: PluginsSchema, Plugins: []PluginInfo{}}
	for _, p := range r.Plugins {
		if p.Config == nil {
			p.Config = []ConfigAttribute{}
		}
		doc.Plugins = append(doc.Plugins, p)
	}
	return EncodeJSON(w, doc)
}
