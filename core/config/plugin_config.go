package config

import (
	"bytes"
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/probe-net/probe/sdk"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// evalBody is a plugin's config body together with the evaluation context
// of the file it came from (variables and functions), so that it can be
// decoded once the plugin's schema is known.
type evalBody struct {
	hcl.Body
	ctx *hcl.EvalContext
}

// DecodePluginConfig type-checks a plugin's config body against the
// plugin's schema and returns it as the JSON object the plugin receives.
// Attributes the schema does not declare are errors, and so are missing
// required ones; those are reported at blockRange (the plugin block) when
// there is no config body at all (body == nil, which yields "{}").
// Optional attributes that are not set are null in the JSON.
func DecodePluginConfig(body hcl.Body, blockRange hcl.Range, schema []sdk.Attribute) ([]byte, hcl.Diagnostics) {
	spec, diags := objectSpec(schema)
	if diags.HasErrors() {
		return nil, diags
	}
	if body == nil {
		return []byte("{}"), missingRequired(schema, blockRange)
	}
	var ctx *hcl.EvalContext
	if b, ok := body.(*evalBody); ok {
		ctx = b.ctx
	}
	value, diags := hcldec.Decode(body, spec, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	if diags := checkIntegers(body, blockRange, value, schema); diags.HasErrors() {
		return nil, diags
	}
	out, err := ctyjson.Marshal(value, value.Type())
	if err != nil {
		return nil, hcl.Diagnostics{errorAt(&blockRange, "Cannot encode plugin config", "%s", err)}
	}
	return out, nil
}

// objectSpec builds the hcldec spec of a plugin's schema.
func objectSpec(schema []sdk.Attribute) (hcldec.ObjectSpec, hcl.Diagnostics) {
	spec := hcldec.ObjectSpec{}
	var diags hcl.Diagnostics
	for _, a := range schema {
		ty, err := CtyType(a.Type)
		if err == nil && (a.Name == "" || spec[a.Name] != nil) {
			err = fmt.Errorf("the name is empty or declared twice")
		}
		if err != nil {
			diags = append(diags, errorAt(nil, "Invalid plugin schema", "attribute %q: %s.", a.Name, err))
			continue
		}
		spec[a.Name] = &hcldec.AttrSpec{Name: a.Name, Type: ty, Required: a.Required}
	}
	return spec, diags
}

// CtyType maps an sdk.Type to the cty type HCL values are converted to. It
// goes through the type's JSON form, which is cty's type-constraint syntax
// ("string", ["list","string"], ["map",["list","string"]]) except that
// sdk.Int is "int": cty has no integer type, so an Int is a cty.Number here
// and DecodePluginConfig checks that it is whole.
func CtyType(t sdk.Type) (cty.Type, error) {
	b, err := t.MarshalJSON()
	if err != nil {
		return cty.NilType, err
	}
	return ctyjson.UnmarshalType(bytes.ReplaceAll(b, []byte(`"int"`), []byte(`"number"`)))
}

func missingRequired(schema []sdk.Attribute, blockRange hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range schema {
		if a.Required {
			diags = append(diags, errorAt(&blockRange, "Missing required argument",
				"The argument %q is required, but no definition was found.", a.Name))
		}
	}
	return diags
}

// AttributeRange returns where a config attribute is written, given as a
// plugin names it in an sdk.AttributeError: "servers", "servers[1]",
// `headers["Accept"]` or "headers.Accept". When the attribute is there but
// the element is not written literally (servers = var.list), it returns
// the attribute's value range. It returns nil when the attribute is not in
// body; callers then use the plugin block's range.
func AttributeRange(body hcl.Body, attribute string) *hcl.Range {
	if body == nil {
		return nil
	}
	root, steps := parseAttributePath(attribute)
	content, _, _ := body.PartialContent(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: root}},
	})
	if content == nil || content.Attributes[root] == nil {
		return nil
	}
	expr := content.Attributes[root].Expr
	for _, step := range steps {
		next := elementExpr(expr, step)
		if next == nil {
			break
		}
		expr = next
	}
	r := expr.Range()
	return &r
}

// parseAttributePath splits "servers[1]" into the attribute name and the
// steps into its value. A path that does not parse keeps only its name.
func parseAttributePath(path string) (string, hcl.Traversal) {
	traversal, diags := hclsyntax.ParseTraversalAbs([]byte(path), "", hcl.InitialPos)
	if diags.HasErrors() || len(traversal) == 0 {
		if i := strings.IndexAny(path, ".["); i >= 0 {
			path = path[:i]
		}
		return path, nil
	}
	return traversal.RootName(), traversal[1:]
}

// elementExpr returns the expression of a list element or map/object value
// that step selects, or nil when expr is not a literal collection holding it.
func elementExpr(expr hcl.Expression, step hcl.Traverser) hcl.Expression {
	var key cty.Value
	switch s := step.(type) {
	case hcl.TraverseIndex:
		key = s.Key
	case hcl.TraverseAttr:
		key = cty.StringVal(s.Name)
	default:
		return nil
	}
	if key.Type() == cty.Number {
		return listElement(expr, key.AsBigFloat())
	}
	if key.Type() == cty.String {
		return mapElement(expr, key.AsString())
	}
	return nil
}

func listElement(expr hcl.Expression, index *big.Float) hcl.Expression {
	elems, diags := hcl.ExprList(expr)
	i, accuracy := index.Int64()
	if diags.HasErrors() || accuracy != big.Exact || i < 0 || i >= int64(len(elems)) {
		return nil
	}
	return elems[i]
}

func mapElement(expr hcl.Expression, key string) hcl.Expression {
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		return nil
	}
	for _, p := range pairs {
		k, diags := p.Key.Value(nil)
		if !diags.HasErrors() && k.Type() == cty.String && k.IsKnown() && !k.IsNull() && k.AsString() == key {
			return p.Value
		}
	}
	return nil
}
