package config

import (
	"bytes"
	"fmt"
	"math/big"
	"path/filepath"
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
	dir string // the targets file's directory, for Path attributes
}

// DecodePluginConfig type-checks a plugin's config body against the
// plugin's schema and returns it as the JSON object the plugin receives.
// Attributes the schema does not declare are errors, and so are missing
// required ones; those are reported at blockRange (the plugin block) when
// there is no config body at all (body == nil, which yields "{}").
// Optional attributes that are not set are null in the JSON. The values of
// attributes the schema marks as paths (sdk.Attribute.Path) are made
// absolute: a relative path is resolved against the directory of the
// targets file the body came from, as a plugin block's path is.
func DecodePluginConfig(body hcl.Body, blockRange hcl.Range, schema []sdk.Attribute) ([]byte, hcl.Diagnostics) {
	spec, diags := objectSpec(schema)
	if diags.HasErrors() {
		return nil, diags
	}
	if body == nil {
		return []byte("{}"), missingRequired(schema, blockRange)
	}
	var ctx *hcl.EvalContext
	dir := "."
	if b, ok := body.(*evalBody); ok {
		ctx, dir = b.ctx, b.dir
	}
	value, diags := hcldec.Decode(body, spec, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	if diags := checkIntegers(body, blockRange, value, schema); diags.HasErrors() {
		return nil, diags
	}
	value, err := resolvePaths(value, schema, dir)
	if err != nil {
		return nil, hcl.Diagnostics{errorAt(&blockRange, "Cannot resolve plugin paths", "%s", err)}
	}
	out, err := ctyjson.Marshal(value, value.Type())
	if err != nil {
		return nil, hcl.Diagnostics{errorAt(&blockRange, "Cannot encode plugin config", "%s", err)}
	}
	return out, nil
}

// resolvePaths makes the strings of Path attributes in a decoded config
// object absolute, relative ones against dir.
func resolvePaths(obj cty.Value, schema []sdk.Attribute, dir string) (cty.Value, error) {
	if obj.IsNull() || !obj.IsKnown() {
		return obj, nil
	}
	attrs := obj.AsValueMap()
	for _, a := range schema {
		v, ok := attrs[a.Name]
		if !a.Path || !ok {
			continue
		}
		resolved, err := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
			if v.IsNull() || !v.IsKnown() || v.Type() != cty.String || v.AsString() == "" {
				return v, nil
			}
			return cty.StringVal(absPath(dir, v.AsString())), nil
		})
		if err != nil {
			return cty.NilVal, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		attrs[a.Name] = resolved
	}
	return cty.ObjectVal(attrs), nil
}

// absPath resolves path against dir and makes it absolute, so that it
// means the same file in any process and never becomes a $PATH lookup.
func absPath(dir, path string) string {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path
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
