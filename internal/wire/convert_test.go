//go:build linux

package wire

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/probe-net/probe/sdk"
)

func TestAttributesRoundTrip(t *testing.T) {
	in := sdk.Attributes{
		"a.string": "x", "a.bool": true, "a.int": 7, "a.int64": int64(-3),
		"a.float": 1.5, "a.duration": 1500 * time.Microsecond, "a.list": []string{"p", "q"},
	}
	pb, err := attrsToProto(in)
	if err != nil {
		t.Fatal(err)
	}
	got := attrsFromProto(pb)
	want := in.Clone()
	want["a.int"] = int64(7) // ints travel as int64
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, want)
	}
	if out, err := attrsToProto(nil); err != nil || out != nil {
		t.Errorf("nil attributes: %v, %v", out, err)
	}
}

func TestUnsupportedAttributeIsAnErrorNamingTheKey(t *testing.T) {
	_, err := attrsToProto(sdk.Attributes{"ok": "x", "bad.map": map[string]int{}, "z": 1})
	if err == nil || err.Error() != `attribute "bad.map": unsupported value type map[string]int` {
		t.Errorf("err = %v", err)
	}
}

func TestAddresses(t *testing.T) {
	in := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	got, err := addrsFromProto(addrsToProto(in))
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("round trip: %v, %v", got, err)
	}
	if _, err := addrsFromProto([]string{"not-an-ip"}); err == nil {
		t.Error("a bad address was accepted")
	}
}

func TestDescriptionRoundTrip(t *testing.T) {
	d := sdk.Description{Name: "x", Version: "1", Summary: "s", Schema: []sdk.Attribute{
		{Name: "servers", Type: sdk.List(sdk.String), Required: true, Description: "d"},
		{Name: "hosts", Type: sdk.Map(sdk.List(sdk.String))},
		{Name: "n", Type: sdk.Number}, {Name: "i", Type: sdk.List(sdk.Int)}, {Name: "b", Type: sdk.Bool},
	}}
	pb, err := describeToProto(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := describeFromProto(pb)
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("round trip:\n got %#v\nwant %#v\n%v", got, d, err)
	}
	if _, err := describeToProto(sdk.Description{Schema: []sdk.Attribute{{Name: "zero"}}}); err == nil {
		t.Error("an attribute without a type was accepted")
	}
}
