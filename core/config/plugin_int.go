package config

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/probe-net/probe/sdk"
	"github.com/zclconf/go-cty/cty"
)

// checkIntegers rejects the numbers of a decoded plugin config that the
// schema declares sdk.Int but that are not whole numbers within int64,
// each at its position in the file: the attribute's expression, or the
// list element or map value when written literally ("ports[1]"), else
// blockRange.
func checkIntegers(body hcl.Body, blockRange hcl.Range, value cty.Value, schema []sdk.Attribute) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range schema {
		form, err := typeForm(a.Type)
		if err != nil || !value.Type().IsObjectType() || !value.Type().HasAttribute(a.Name) {
			continue
		}
		for _, bad := range notIntegers(form, value.GetAttr(a.Name), a.Name, "") {
			rng := AttributeRange(body, bad.path)
			if rng == nil {
				rng = &blockRange
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Incorrect attribute value type",
				Detail:   fmt.Sprintf("Inappropriate value for attribute %q: %s%s.", a.Name, bad.element, bad.problem),
				Subject:  rng,
			})
		}
	}
	return diags
}

// typeForm decodes a type's JSON form into a string kind or a [kind, elem]
// slice, the shapes sdk.Type.MarshalJSON writes.
func typeForm(t sdk.Type) (any, error) {
	b, err := t.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var form any
	return form, json.Unmarshal(b, &form)
}

// notInteger is one number that should have been an integer.
type notInteger struct {
	path    string // as sdk.AttributeError names it: "ports[1]", `limits["a"]`
	element string // for the message: `element 1: `, `element "a": `, or ""
	problem string
}

// notIntegers walks v along form and returns the numbers at "int" places
// that are not whole numbers within int64.
func notIntegers(form any, v cty.Value, path, element string) []notInteger {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	switch f := form.(type) {
	case string:
		if f != "int" {
			return nil
		}
		if problem := integerProblem(v.AsBigFloat()); problem != "" {
			return []notInteger{{path: path, element: element, problem: problem}}
		}
		return nil
	case []any:
		if len(f) != 2 || !v.CanIterateElements() {
			return nil
		}
		var out []notInteger
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			step, label := elementStep(k)
			out = append(out, notIntegers(f[1], ev, path+step, element+"element "+label+": ")...)
		}
		return out
	}
	return nil
}

// elementStep writes a list index or map key as an attribute path step
// ("[1]", `["a"]`) and as a message label (1, "a").
func elementStep(k cty.Value) (step, label string) {
	if k.Type() == cty.Number {
		i, _ := k.AsBigFloat().Int64()
		n := strconv.FormatInt(i, 10)
		return "[" + n + "]", n
	}
	q := strconv.Quote(k.AsString())
	return "[" + q + "]", q
}

var minInt64, maxInt64 = new(big.Float).SetInt64(-1 << 63), new(big.Float).SetInt64(1<<63 - 1)

// integerProblem says why n is not an int64, or returns "".
func integerProblem(n *big.Float) string {
	switch {
	case !n.IsInt():
		return "a whole number is required, but have " + n.Text('g', -1)
	case n.Cmp(minInt64) < 0 || n.Cmp(maxInt64) > 0:
		return "a whole number from -9223372036854775808 to 9223372036854775807 is required, but have " + n.Text('g', -1)
	}
	return ""
}
