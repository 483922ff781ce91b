//go:build linux

package wire

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/probe-net/probe/internal/phasev1"
	"github.com/probe-net/probe/sdk"
)

func targetToProto(t sdk.Target) *phasev1.Target {
	return &phasev1.Target{Name: t.Name, Host: t.Host, Port: uint32(t.Port), Protocol: t.Protocol}
}

func targetFromProto(t *phasev1.Target) sdk.Target {
	if t == nil {
		return sdk.Target{}
	}
	return sdk.Target{Name: t.Name, Host: t.Host, Port: int(t.Port), Protocol: t.Protocol}
}

func addrsToProto(addrs []netip.Addr) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.String())
	}
	return out
}

func addrsFromProto(in []string) ([]netip.Addr, error) {
	out := make([]netip.Addr, 0, len(in))
	for _, s := range in {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("address %q: %w", s, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func attrsToProto(attrs sdk.Attributes) (map[string]*phasev1.Value, error) {
	return selectToProto(attrs, nil)
}

// selectToProto converts the attributes reads names (see sdk.Reads).
func selectToProto(attrs sdk.Attributes, reads []string) (map[string]*phasev1.Value, error) {
	if len(attrs) == 0 || (reads != nil && len(reads) == 0) {
		return nil, nil
	}
	var out map[string]*phasev1.Value
	if reads == nil {
		out = make(map[string]*phasev1.Value, len(attrs))
	}
	var bad []string
	for k, v := range attrs {
		if !sdk.Reads(reads, k) {
			continue
		}
		if out == nil {
			out = make(map[string]*phasev1.Value, len(reads))
		}
		pv, err := valueToProto(v)
		if err != nil {
			bad = append(bad, k)
			continue
		}
		out[k] = pv
	}
	if len(bad) > 0 {
		k := slices.Min(bad) // name the same key every time
		_, err := valueToProto(attrs[k])
		return nil, fmt.Errorf("attribute %q: %w", k, err)
	}
	return out, nil
}

func valueToProto(v any) (*phasev1.Value, error) {
	switch x := v.(type) {
	case string:
		return &phasev1.Value{Kind: &phasev1.Value_StringValue{StringValue: x}}, nil
	case bool:
		return &phasev1.Value{Kind: &phasev1.Value_BoolValue{BoolValue: x}}, nil
	case int:
		return &phasev1.Value{Kind: &phasev1.Value_IntValue{IntValue: int64(x)}}, nil
	case int64:
		return &phasev1.Value{Kind: &phasev1.Value_IntValue{IntValue: x}}, nil
	case float64:
		return &phasev1.Value{Kind: &phasev1.Value_FloatValue{FloatValue: x}}, nil
	case time.Duration:
		return &phasev1.Value{Kind: &phasev1.Value_DurationNs{DurationNs: int64(x)}}, nil
	case []string:
		return &phasev1.Value{Kind: &phasev1.Value_StringList{StringList: &phasev1.StringList{Values: x}}}, nil
	default:
		return nil, fmt.Errorf("unsupported value type %T", v)
	}
}

func attrsFromProto(in map[string]*phasev1.Value) sdk.Attributes {
	if len(in) == 0 {
		return nil
	}
	out := make(sdk.Attributes, len(in))
	for k, v := range in {
		switch x := v.GetKind().(type) {
		case *phasev1.Value_StringValue:
			out[k] = x.StringValue
		case *phasev1.Value_BoolValue:
			out[k] = x.BoolValue
		case *phasev1.Value_IntValue:
			out[k] = x.IntValue
		case *phasev1.Value_FloatValue:
			out[k] = x.FloatValue
		case *phasev1.Value_DurationNs:
			out[k] = time.Duration(x.DurationNs)
		case *phasev1.Value_StringList:
			out[k] = x.StringList.GetValues() // the message is not used again
		}
	}
	return out
}

func describeToProto(d sdk.Description) (*phasev1.DescribeResponse, error) {
	resp := &phasev1.DescribeResponse{Name: d.Name, Version: d.Version, Summary: d.Summary,
		Reads: d.Reads, ReadsDeclared: d.Reads != nil}
	for _, a := range d.Schema {
		tj, err := json.Marshal(a.Type)
		if err != nil {
			return nil, fmt.Errorf("config attribute %q: %w", a.Name, err)
		}
		resp.Schema = append(resp.Schema, &phasev1.ConfigAttribute{
			Name: a.Name, TypeJson: tj, Required: a.Required, Description: a.Description, Path: a.Path,
		})
	}
	return resp, nil
}

func describeFromProto(resp *phasev1.DescribeResponse) (sdk.Description, error) {
	d := sdk.Description{Name: resp.GetName(), Version: resp.GetVersion(), Summary: resp.GetSummary()}
	if resp.GetReadsDeclared() {
		d.Reads = append(sdk.ReadsNone, resp.GetReads()...)
	}
	for _, a := range resp.GetSchema() {
		var t sdk.Type
		if err := json.Unmarshal(a.GetTypeJson(), &t); err != nil {
			return sdk.Description{}, fmt.Errorf("config attribute %q: %w", a.GetName(), err)
		}
		d.Schema = append(d.Schema, sdk.Attribute{
			Name: a.GetName(), Type: t, Required: a.GetRequired(), Description: a.GetDescription(), Path: a.GetPath(),
		})
	}
	return d, nil
}
