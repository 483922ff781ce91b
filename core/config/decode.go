package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/probe-net/probe/internal/safetext"
	"github.com/probe-net/probe/plugins/registry"
	"github.com/probe-net/probe/sdk"
)

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "run"},
		{Type: "defaults"},
		{Type: "plugin", LabelNames: []string{"name"}},
		{Type: "target", LabelNames: []string{"name"}},
		{Type: "serve"},
	},
}

var runSchema = attributes("count", "interval", "sequential", "concurrency")

var defaultsSchema = attributes("port", "protocol", "timeout", "phases")

var targetSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{{Name: "host", Required: true}}, defaultsSchema.Attributes...),
}

var pluginSchema = &hcl.BodySchema{
	Attributes: attributes("path", "builtin", "args", "sha256", "env", "pass_env").Attributes,
	Blocks:     []hcl.BlockHeaderSchema{{Type: "config"}},
}

func attributes(names ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range names {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

// decoder is the second pass: everything but the variable blocks. It
// collects diagnostics as it goes so that one load reports every problem.
type decoder struct {
	ctx    *hcl.EvalContext
	dir    string          // the file's directory
	phases map[string]bool // built-ins and declared plugins
	// external are the phases served by an executable (plugin path).
	external map[string]bool
	diags    hcl.Diagnostics
}

func decodeFile(path string, body hcl.Body, opts LoadOptions) (*File, hcl.Diagnostics) {
	ctx, rest, diags := decodeVariables(body, opts)
	if diags.HasErrors() {
		sortDiagnostics(diags)
		return nil, diags
	}
	d := &decoder{ctx: ctx, dir: filepath.Dir(path), phases: map[string]bool{}, external: map[string]bool{}}
	content, diags := rest.Content(fileSchema)
	blocks := map[string]hcl.Blocks{}
	for _, b := range content.Blocks {
		blocks[b.Type] = append(blocks[b.Type], b)
	}
	d.diags = diags
	file := &File{Path: path}
	file.Run = d.run(d.atMostOne(blocks["run"]))
	file.Plugins = d.plugins(blocks["plugin"])
	defaults := d.defaults(d.atMostOne(blocks["defaults"]))
	file.Targets = d.targets(blocks["target"], defaults)
	var warm []hcl.Range
	file.Serve, warm = d.serve(d.atMostOne(blocks["serve"]))
	d.checkWarm(file.Serve, warm, file.Targets)
	sortDiagnostics(d.diags)
	return file, d.diags
}

func (d *decoder) errorf(subject hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, errorAt(&subject, summary, format, args...))
}

func (d *decoder) unique(blocks hcl.Blocks) hcl.Blocks {
	blocks, d.diags = uniqueBlocks(blocks, d.diags)
	return blocks
}

// atMostOne returns the first block (or nil), reporting any others.
func (d *decoder) atMostOne(blocks hcl.Blocks) *hcl.Block {
	if blocks = d.unique(blocks); len(blocks) == 0 {
		return nil
	}
	return blocks[0]
}

func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	if c == nil {
		return &hcl.BodyContent{}
	}
	return c
}

// attr decodes the named attribute into val (a pointer) and returns the
// attribute, or nil when it is absent or its value does not decode.
func (d *decoder) attr(c *hcl.BodyContent, name string, val any) *hcl.Attribute {
	a, ok := c.Attributes[name]
	if !ok {
		return nil
	}
	if !d.decode(a.Expr, val) {
		return nil
	}
	return a
}

// decode decodes expr into val (a pointer) with gohcl's conversions and
// messages. An expression that fails to evaluate is reported once, not
// again as an unsuitable value.
func (d *decoder) decode(expr hcl.Expression, val any) bool {
	_, diags := expr.Value(d.ctx)
	if !diags.HasErrors() {
		diags = gohcl.DecodeExpression(expr, d.ctx, val)
	}
	d.diags = append(d.diags, diags...)
	return !diags.HasErrors()
}

// duration decodes a duration attribute written as a string ("2s").
// Negative values are errors, and so is zero when positive is set.
func (d *decoder) duration(c *hcl.BodyContent, name string, positive bool) (time.Duration, bool) {
	var s string
	a := d.attr(c, name, &s)
	if a == nil {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		d.errorf(a.Expr.Range(), "Invalid duration",
			`%s = %q is not a duration: write a number and a unit, such as "2s" or "500ms".`, name, s)
	case positive && v <= 0:
		d.errorf(a.Expr.Range(), "Invalid duration",
			`%s = %q must be greater than zero, such as "2s" or "500ms".`, name, s)
	case v < 0:
		d.errorf(a.Expr.Range(), "Invalid duration",
			`%s = %q must not be negative; write "0s" for none.`, name, s)
	}
	return v, true
}

// atLeastOne decodes an integer attribute that must be >= 1.
func (d *decoder) atLeastOne(c *hcl.BodyContent, name string, n *int) {
	if a := d.attr(c, name, n); a != nil && *n < 1 {
		d.errorf(a.Expr.Range(), "Invalid "+name, "%s = %d; it must be at least 1.", name, *n)
	}
}

func (d *decoder) run(b *hcl.Block) Run {
	r := Run{Count: DefaultCount, Concurrency: DefaultConcurrency}
	if b == nil {
		return r
	}
	c := d.content(b.Body, runSchema)
	d.atLeastOne(c, "count", &r.Count)
	d.atLeastOne(c, "concurrency", &r.Concurrency)
	d.attr(c, "sequential", &r.Sequential)
	r.Interval, _ = d.duration(c, "interval", false)
	return r
}

func (d *decoder) plugins(blocks hcl.Blocks) []Plugin {
	for _, name := range registry.Names() {
		d.phases[name] = true
	}
	var plugins []Plugin
	for _, b := range d.unique(blocks) {
		p := d.plugin(b)
		plugins = append(plugins, p)
		d.phases[p.Name] = true
		d.external[p.Name] = p.Path != ""
	}
	return plugins
}

func (d *decoder) plugin(b *hcl.Block) Plugin {
	p := Plugin{Name: b.Labels[0], Range: b.DefRange}
	c := d.content(b.Body, pluginSchema)
	path := d.attr(c, "path", &p.Path)
	builtin := d.attr(c, "builtin", &p.Builtin)
	switch {
	case path != nil && builtin != nil:
		d.errorf(builtin.NameRange, "Conflicting plugin source",
			"plugin %q sets both path and builtin; set one of them.", p.Name)
	case builtin != nil && !registry.IsBuiltin(p.Builtin):
		d.errorf(builtin.Expr.Range(), "Unknown built-in",
			"builtin = %q is not a built-in phase; the built-ins are %s.", p.Builtin, strings.Join(registry.Names(), ", "))
	case path == nil && builtin == nil && !registry.IsBuiltin(p.Name):
		d.errorf(b.DefRange, "Missing plugin source",
			"plugin %q is not a built-in phase: set path (an executable) or builtin (a built-in that serves it).", p.Name)
	case path == nil && builtin == nil:
		p.Builtin = p.Name
	}
	p.PathRange = b.DefRange
	if path != nil {
		p.Builtin = ""
		p.Path = d.pluginPath(path, p.Path)
		p.PathRange = path.Expr.Range()
	}
	if args := d.attr(c, "args", &p.Args); args != nil && path == nil {
		d.errorf(args.NameRange, "Unexpected args",
			"plugin %q: args are passed to an external plugin; set path too, or remove args.", p.Name)
	}
	if sum := d.attr(c, "sha256", &p.SHA256); sum != nil {
		d.pin(p.Name, sum, path != nil, &p.SHA256)
	}
	p.Env, p.PassEnv = d.environment(p.Name, c)
	p.Config = d.config(c.Blocks)
	return p
}

// pin checks a sha256 attribute: 64 hex digits, on an external plugin. The
// digest is kept in lower case.
func (d *decoder) pin(name string, a *hcl.Attribute, hasPath bool, sum *string) {
	switch b, err := hex.DecodeString(*sum); {
	case !hasPath:
		d.errorf(a.NameRange, "Unexpected sha256",
			"plugin %q: sha256 pins an external plugin's executable; set path too, or remove sha256.", name)
	case err != nil || len(b) != sha256.Size:
		d.errorf(a.Expr.Range(), "Invalid sha256",
			"plugin %q: sha256 = %q is not a SHA-256 digest: write its 64 hexadecimal digits, as sha256sum prints them.", name, *sum)
	}
	*sum = strings.ToLower(*sum)
}

// envName matches a portable environment variable name (POSIX.1-2017,
// 8.1: letters, digits and underscores, not starting with a digit).
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ReservedEnv reports whether name is reserved for the plugin protocol:
// probe and go-plugin set every name beginning with PLUGIN_ or PROBE_ in a
// plugin's environment (the same rule as pluginhost.Reserved).
func ReservedEnv(name string) bool {
	return strings.HasPrefix(name, "PLUGIN_") || strings.HasPrefix(name, "PROBE_")
}

// environment decodes a plugin block's env map and pass_env list, checking
// every name where it is written.
func (d *decoder) environment(plugin string, c *hcl.BodyContent) (map[string]string, []string) {
	var env map[string]string
	set := map[string]bool{}
	if a := d.attr(c, "env", &env); a != nil {
		for _, k := range envKeys(a.Expr, env) {
			d.envVar(plugin, "env", k.name, k.rng)
			set[k.name] = true
		}
	}
	a, ok := c.Attributes["pass_env"]
	if !ok {
		return env, nil
	}
	names, ranges := d.stringList(a.Expr)
	for i, name := range names {
		switch {
		case set[name]:
			d.errorf(ranges[i], "Duplicate environment variable",
				"plugin %q: %s is both set in env and passed in pass_env; keep one.", plugin, name)
		case slices.Index(names, name) < i:
			d.errorf(ranges[i], "Duplicate environment variable", "plugin %q: pass_env lists %q twice.", plugin, name)
		default:
			d.envVar(plugin, "pass_env", name, ranges[i])
		}
	}
	return env, names
}

// envVar checks one variable name of env or pass_env.
func (d *decoder) envVar(plugin, attr, name string, rng hcl.Range) {
	switch {
	case !envName.MatchString(name):
		d.errorf(rng, "Invalid environment variable name",
			"plugin %q: %s: %q is not a variable name: use letters, digits and underscores, not starting with a digit.", plugin, attr, name)
	case ReservedEnv(name):
		d.errorf(rng, "Reserved environment variable",
			"plugin %q: %s: %s is reserved: probe sets the names beginning with PLUGIN_ or PROBE_ for the plugin protocol.", plugin, attr, name)
	}
}

type envKey struct {
	name string
	rng  hcl.Range
}

// envKeys lists env's names in the order written, each with its key's
// range; the whole expression's range when it is not a literal map.
func envKeys(expr hcl.Expression, env map[string]string) []envKey {
	var keys []envKey
	if pairs, diags := hcl.ExprMap(expr); !diags.HasErrors() {
		for _, kv := range pairs {
			if v, diags := kv.Key.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				keys = append(keys, envKey{v.AsString(), kv.Key.Range()})
			}
		}
		if len(keys) == len(env) {
			return keys
		}
	}
	keys = keys[:0]
	for _, name := range slices.Sorted(maps.Keys(env)) {
		keys = append(keys, envKey{name, expr.Range()})
	}
	return keys
}

// pluginPath resolves a plugin path against the file's directory. The
// result is absolute, so it never becomes a $PATH lookup.
func (d *decoder) pluginPath(a *hcl.Attribute, path string) string {
	if path == "" {
		d.errorf(a.Expr.Range(), "Invalid path", "path must not be empty.")
		return ""
	}
	return absPath(d.dir, path)
}

// config checks that a plugin's config block holds only attributes whose
// values evaluate, and returns its body with the evaluation context.
func (d *decoder) config(blocks hcl.Blocks) hcl.Body {
	if blocks = d.unique(blocks); len(blocks) == 0 {
		return nil
	}
	body := blocks[0].Body
	attrs, diags := body.JustAttributes()
	d.diags = append(d.diags, diags...)
	for _, a := range attrs {
		_, diags := a.Expr.Value(d.ctx)
		d.diags = append(d.diags, diags...)
	}
	return &evalBody{Body: body, ctx: d.ctx, dir: d.dir}
}

// settings are the attributes a target and the defaults block share.
type settings struct {
	protocol    string
	port        int
	hasPort     bool // port is written, valid or not
	timeout     time.Duration
	phases      []string
	hasPhases   bool
	phasesRange hcl.Range // where phases was set
}

// or fills what s leaves unset from fallback.
func (s settings) or(fallback settings) settings {
	if s.protocol == "" {
		s.protocol = fallback.protocol
	}
	if !s.hasPort {
		s.port, s.hasPort = fallback.port, fallback.hasPort
	}
	if s.timeout == 0 {
		s.timeout = fallback.timeout
	}
	if !s.hasPhases {
		s.phases, s.hasPhases, s.phasesRange = fallback.phases, fallback.hasPhases, fallback.phasesRange
	}
	return s
}

func (d *decoder) defaults(b *hcl.Block) settings {
	fallback := settings{protocol: DefaultProtocol, timeout: DefaultTimeout}
	if b == nil {
		return fallback
	}
	return d.settings(d.content(b.Body, defaultsSchema), "defaults").or(fallback)
}

func (d *decoder) settings(c *hcl.BodyContent, owner string) settings {
	var s settings
	if a := d.attr(c, "protocol", &s.protocol); a != nil {
		if problem := ProtocolProblem(s.protocol); problem != "" {
			d.errorf(a.Expr.Range(), "Invalid protocol", "protocol = %s.", problem)
		}
	}
	if a, ok := c.Attributes["port"]; ok {
		s.port, s.hasPort = d.port(a), true
	}
	s.timeout, _ = d.duration(c, "timeout", true)
	if a, ok := c.Attributes["phases"]; ok {
		s.phases, s.hasPhases, s.phasesRange = d.phaseList(a, owner), true, a.Expr.Range()
	}
	return s
}

// port decodes a port: a whole number from 1 to 65535 ("80" converts, as
// HCL converts strings to numbers). A bad value is one error in probe's
// words; it returns 0 then.
func (d *decoder) port(a *hcl.Attribute) int {
	v, diags := a.Expr.Value(d.ctx)
	if diags.HasErrors() {
		d.diags = append(d.diags, diags...)
		return 0
	}
	num, err := convert.Convert(v, cty.Number)
	if err != nil || num.IsNull() || !num.IsKnown() {
		d.errorf(a.Expr.Range(), "Invalid port", "port must be a whole number from 1 to 65535, not %s.", valueText(v))
		return 0
	}
	f := num.AsBigFloat()
	n, accuracy := f.Int64()
	switch {
	case !f.IsInt():
		d.errorf(a.Expr.Range(), "Invalid port", "port = %s is not a whole number; write one from 1 to 65535.", valueText(num))
		return 0
	case accuracy != big.Exact || n < 1 || n > 65535:
		d.errorf(a.Expr.Range(), "Invalid port", "port = %s is outside 1..65535.", valueText(num))
		return 0
	}
	return int(n)
}

// valueText shows a value in a message: a number or a quoted string as
// written, otherwise its type ("null", "a bool").
func valueText(v cty.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "an unknown value"
	case v.Type() == cty.Number:
		return safetext.Shorten(v.AsBigFloat().Text('g', -1), 40)
	case v.Type() == cty.String:
		return safetext.Quote(v.AsString())
	}
	return "a " + v.Type().FriendlyName()
}

// phaseList decodes and checks an explicit chain. Problems point at the
// offending element when the chain is written as a list.
func (d *decoder) phaseList(a *hcl.Attribute, owner string) []string {
	names, ranges := d.stringList(a.Expr)
	if names != nil && len(names) == 0 {
		d.errorf(a.Expr.Range(), "Invalid phases", "%s: phases must name at least one phase.", owner)
	}
	for i, name := range names {
		switch {
		case !d.phases[name]:
			d.errorf(ranges[i], "Unknown phase",
				"%s: unknown phase %q; declare it with a plugin %q block.", owner, name, name)
		case slices.Index(names, name) < i:
			d.errorf(ranges[i], "Duplicate phase", "%s: phase %q is listed twice.", owner, name)
		}
	}
	return names
}

// stringList decodes a list of strings with each element's range (the whole
// expression's when it is not a literal list). It returns nil on errors.
func (d *decoder) stringList(expr hcl.Expression) ([]string, []hcl.Range) {
	elems, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		var names []string
		if !d.decode(expr, &names) {
			return nil, nil
		}
		ranges := make([]hcl.Range, len(names))
		for i := range ranges {
			ranges[i] = expr.Range()
		}
		return append([]string{}, names...), ranges
	}
	names := make([]string, len(elems))
	ranges := make([]hcl.Range, len(elems))
	for i, e := range elems {
		ranges[i] = e.Range()
		if !d.decode(e, &names[i]) {
			return nil, nil
		}
	}
	return names, ranges
}

func (d *decoder) targets(blocks hcl.Blocks, defaults settings) []Target {
	var targets []Target
	for _, b := range d.unique(blocks) {
		targets = append(targets, d.target(b, defaults))
	}
	return targets
}

func (d *decoder) target(b *hcl.Block, defaults settings) Target {
	t := Target{Name: b.Labels[0], Range: b.DefRange}
	owner := fmt.Sprintf("target %q", t.Name)
	c := d.content(b.Body, targetSchema)
	if a := d.attr(c, "host", &t.Host); a != nil {
		wire, err := WireHost(t.Host)
		if err != nil {
			d.errorf(a.Expr.Range(), "Invalid host", "%s: %s.", owner, err)
		}
		t.Host = cmp.Or(wire, t.Host)
	}
	s := d.settings(c, owner).or(defaults)
	t.Protocol, t.Port, t.Timeout = s.protocol, s.port, s.timeout
	if t.Port == 0 {
		t.Port = registry.DefaultPort(t.Protocol)
	}
	if t.Port == 0 && !s.hasPort && registry.Chain(t.Protocol) != nil {
		d.errorf(b.DefRange, "Missing port",
			"%s: protocol %q has no default port; set port.", owner, t.Protocol)
	}
	t.Phases, t.Explicit = slices.Clone(s.phases), s.hasPhases
	if !t.Explicit {
		t.Phases = registry.Chain(t.Protocol)
	}
	if t.Explicit && d.unresolved(t) {
		d.errorf(s.phasesRange, "Missing resolve phase",
			"%s: host %q is a name, and no phase before tcp resolves it: put \"dns\" before \"tcp\" in phases, or use an IP address.", owner, t.Host)
	}
	return t
}

// unresolved reports whether t's chain cannot work: its host is a name,
// and the built-in tcp phase, which connects to addresses, comes with
// nothing before it that could produce them (dns, or a phase probe does not
// know). An IP-literal host is its own address.
func (d *decoder) unresolved(t Target) bool {
	i := slices.Index(t.Phases, sdk.PhaseTCP)
	if t.Host == "" || isIP(t.Host) || i < 0 || d.external[sdk.PhaseTCP] {
		return false
	}
	for _, name := range t.Phases[:i] {
		if name == sdk.PhaseDNS || !registry.IsBuiltin(name) {
			return false
		}
	}
	return true
}

// WireHost checks a target's host as written — a name or an IP address,
// without brackets, a port, spaces or control characters — and returns the
// form that goes on the wire:
// IP addresses and ASCII names as they are, internationalised names as
// A-labels (IDNA 2008 / UTS #46, see sdk.ASCIIHost). The error says what is
// wrong, for the caller to place (a file position, a flag, an entry); it
// quotes the host with safetext.Quote. It is the rule for every way a host
// enters: the file, PRECONNECT_HOSTS, probe test.
func WireHost(host string) (string, error) {
	switch {
	case strings.TrimSpace(host) == "":
		return "", errors.New("host must not be empty")
	case strings.Contains(host, "://") || strings.ContainsAny(host, "/?#"):
		return "", fmt.Errorf("host must be a name or IP address, not a URL (%s)", safetext.Quote(host))
	case strings.ContainsAny(host, " \t\r\n"):
		return "", fmt.Errorf("host must be a name or IP address; %s contains spaces", safetext.Quote(host))
	case strings.ContainsFunc(host, unicode.IsControl) || !utf8.ValidString(host):
		return "", fmt.Errorf("host must be a name or IP address; %s contains control characters or invalid UTF-8", safetext.Quote(host))
	case strings.Contains(host, ":") && !isIP(host):
		return "", fmt.Errorf("host must be a name or IP address without a port (%s); set port instead", safetext.Quote(host))
	}
	return sdk.ASCIIHost(host)
}

// ProtocolProblem says what is wrong with a protocol name, or "" when it
// is one of registry.ProtocolNames: the rule for every way a protocol
// enters (the file, PRECONNECT_HOSTS, probe test). Names are lower case everywhere, as in the
// file; "HTTP" is an error that says so. The problem starts with the value.
func ProtocolProblem(protocol string) string {
	switch {
	case slices.Contains(registry.ProtocolNames(), protocol):
		return ""
	case slices.Contains(registry.ProtocolNames(), strings.ToLower(protocol)):
		return fmt.Sprintf("%s: protocols are written in lower case: %q", safetext.Quote(protocol), strings.ToLower(protocol))
	}
	return fmt.Sprintf("%s is not one of %s", safetext.Quote(protocol), strings.Join(registry.ProtocolNames(), ", "))
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}
