package main

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/probe-net/probe/sdk"
)

// Name is the plugin's own name, as Describe reports it and its log lines
// show. It is not the slot the plugin fills: the label of the HCL plugin
// block decides that, so `plugin "dns" { path = "..." }` makes this plugin
// the resolve phase.
const Name = "statichosts"

// Version is the plugin's version.
const Version = "0.1.0"

// schema declares the config attributes. probe type-checks the HCL config
// block against it before Configure sees the values, and rejects
// attributes that are not declared here.
var schema = []sdk.Attribute{
	{
		Name:        "hosts",
		Type:        sdk.Map(sdk.List(sdk.String)),
		Description: `names and their IP addresses, in answer order: { "www.probe.test" = ["127.0.0.1", "::1"] }`,
	},
	{
		Name:        "hosts_file",
		Type:        sdk.String,
		Path:        true, // probe resolves it against the targets file's directory
		Description: "file in /etc/hosts format, read once at start; names in hosts take precedence",
	},
	{
		Name:        "families",
		Type:        sdk.List(sdk.String),
		Description: `address families returned: "ipv4", "ipv6" (default both)`,
	},
}

// Phase resolves names from a static table. Configure builds the table;
// Run only reads it, so concurrent Runs need no lock. A new Configure swaps
// in a whole new table atomically.
type Phase struct {
	table atomic.Pointer[table]
}

// New returns an unconfigured Phase.
func New() *Phase { return &Phase{} }

// Describe identifies the plugin and declares its config schema.
func (p *Phase) Describe() sdk.Description {
	return sdk.Description{
		Name:    Name,
		Version: Version,
		Summary: "Resolves names from a static map or hosts file, without DNS",
		Schema:  schema,
		Reads:   sdk.ReadsNone,
	}
}

// Configure validates the config and replaces the table. Every bad
// attribute is reported (joined), not just the first, each naming the
// attribute so probe can point at its line in the targets file. The
// instance name (the plugin block's label) is kept with the table: Run
// reports its attributes under it.
func (p *Phase) Configure(cfg sdk.Config) error {
	var c config
	if err := cfg.Decode(&c); err != nil {
		return err
	}
	t, err := c.table()
	if err != nil {
		return err
	}
	t.instance = cfg.InstanceName()
	p.table.Store(t)
	return nil
}

// Run resolves req.Target.Host. Result.Duration covers the lookup only: the
// phase measures its own work, with the monotonic clock, in its own process.
func (p *Phase) Run(ctx context.Context, req *sdk.Request) (*sdk.Result, error) {
	t := p.table.Load()
	host := req.Target.Host
	switch {
	case t == nil:
		return nil, sdk.Errorf(sdk.KindInput, "statichosts is not configured")
	case host == "":
		return nil, sdk.Errorf(sdk.KindInput, "target %q has no host name", req.Target.Name)
	}
	// Honour the probe's deadline, even though a map lookup cannot block:
	// a run that was canceled before it started reports that, not an answer.
	if err := ctx.Err(); err != nil {
		return nil, sdk.Errorf(sdk.Classify(err), "lookup of %s not started: %w", host, err)
	}

	start := time.Now()
	addrs, known := t.lookup(host)
	// Report the resolver attributes probe knows (sdk.AttrDNS*). Filling the
	// "dns" slot, they keep their names, so probe shows them like its own
	// resolver's; a second instance (plugin "pinned") reports
	// "pinned.server" and "pinned.answers" instead of overwriting them.
	serverKey, answersKey := sdk.InstanceKey(t.instance, sdk.AttrDNSServer), sdk.InstanceKey(t.instance, sdk.AttrDNSAnswers)
	res := &sdk.Result{
		Duration:   time.Since(start),
		Attributes: sdk.Attributes{serverKey: "static"},
	}
	// On failure, return the partial result too: the duration and the
	// attributes known so far still belong in the report.
	if !known {
		return res, sdk.Errorf(sdk.KindNXDomain, "%s is not in the static hosts map", host)
	}
	if len(addrs) == 0 {
		return res, sdk.Errorf(sdk.KindNoAddress, "%s has no %s address in the static hosts map",
			host, strings.Join(t.families, " or "))
	}
	res.Addresses = addrs
	res.Attributes[answersKey] = addrStrings(addrs) // attribute values: string, []string, ...
	// Log through the SDK's logger, never to stdout (it carries the plugin
	// protocol). probe shows trace lines with -vv.
	sdk.Logger(ctx).Trace("static lookup", "host", host, "answers", res.Attributes[answersKey])
	return res, nil
}
