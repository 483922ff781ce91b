package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// EnvPrefix prefixes the environment variables that set file variables:
// PROBE_VAR_dns_server sets var.dns_server.
const EnvPrefix = "PROBE_VAR_"

var variablesSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "variable", LabelNames: []string{"name"}}},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "default"}, {Name: "description"}},
}

// decodeVariables is the first pass: it decodes the variable blocks and
// returns the evaluation context for the rest of the file, and that rest.
func decodeVariables(body hcl.Body, opts LoadOptions) (*hcl.EvalContext, hcl.Body, hcl.Diagnostics) {
	content, rest, diags := body.PartialContent(variablesSchema)
	funcs := functions(opts.getenv)
	defaultsCtx := &hcl.EvalContext{Functions: funcs}
	values := map[string]cty.Value{}
	var blocks hcl.Blocks
	blocks, diags = uniqueBlocks(content.Blocks, diags)
	for _, block := range blocks {
		value, more := variableValue(block, opts, defaultsCtx)
		diags = append(diags, more...)
		values[block.Labels[0]] = value
	}
	diags = append(diags, undeclaredVars(opts.Vars, values)...)
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(values)},
		Functions: funcs,
	}
	return ctx, rest, diags
}

// variableValue decodes one variable block and picks its value: Vars, then
// the environment, then the default.
func variableValue(block *hcl.Block, opts LoadOptions, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	name := block.Labels[0]
	content, diags := block.Body.Content(variableSchema)
	if !hclsyntax.ValidIdentifier(name) {
		diags = append(diags, errorAt(&block.LabelRanges[0], "Invalid variable name",
			"%q cannot be used as var.NAME; a name is letters, digits, underscores and dashes, starting with a letter.", name))
	}
	if a, ok := content.Attributes["description"]; ok {
		var description string
		_, more := a.Expr.Value(ctx)
		if !more.HasErrors() {
			more = gohcl.DecodeExpression(a.Expr, ctx, &description)
		}
		diags = append(diags, more...)
	}
	def := cty.NilVal
	if a, ok := content.Attributes["default"]; ok {
		var more hcl.Diagnostics
		def, more = a.Expr.Value(ctx)
		diags = append(diags, more...)
	}
	raw, source, given := externalValue(name, opts)
	switch {
	case given:
		value, diag := convertGiven(block, raw, source, def)
		return value, append(diags, diag...)
	case def == cty.NilVal:
		return cty.DynamicVal, append(diags, errorAt(&block.DefRange, "Missing variable value",
			"variable %q has no value: give it a default or set %s%s.", name, EnvPrefix, name))
	}
	return def, diags
}

// externalValue returns the value set outside the file, if any, and where it
// came from. An empty environment variable counts as unset.
func externalValue(name string, opts LoadOptions) (value, source string, ok bool) {
	if v, ok := opts.Vars[name]; ok {
		return v, fmt.Sprintf("the value given for %s", name), true
	}
	if v := opts.getenv(EnvPrefix + name); v != "" {
		return v, EnvPrefix + name, true
	}
	return "", "", false
}

// convertGiven turns a string set outside the file into the type of the
// variable's default (a number or bool default makes "8080" or "true" work).
func convertGiven(block *hcl.Block, raw, source string, def cty.Value) (cty.Value, hcl.Diagnostics) {
	given := cty.StringVal(raw)
	if def == cty.NilVal || def.IsNull() || !def.IsKnown() || def.Type() == cty.String {
		return given, nil
	}
	value, err := convert.Convert(given, def.Type())
	if err != nil {
		return cty.DynamicVal, hcl.Diagnostics{errorAt(&block.DefRange, "Invalid variable value",
			"variable %q takes a %s (like its default), but %s is %q.",
			block.Labels[0], def.Type().FriendlyName(), source, raw)}
	}
	return value, nil
}

// undeclaredVars reports LoadOptions.Vars entries that name no variable.
func undeclaredVars(vars map[string]string, declared map[string]cty.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if _, ok := declared[name]; !ok {
			diags = append(diags, errorAt(nil, "Undeclared variable",
				"A value was given for variable %q, but the file declares no variable %q.", name, name))
		}
	}
	return diags
}

// functions are the functions expressions may call.
func functions(getenv func(string) string) map[string]function.Function {
	return map[string]function.Function{
		"env":    envFunc(getenv),
		"upper":  stdlib.UpperFunc,
		"lower":  stdlib.LowerFunc,
		"format": boundedFormat(),
		"join":   stdlib.JoinFunc,
		"concat": stdlib.ConcatFunc,
	}
}

// envFunc is env("NAME"): the environment variable's value, "" when unset.
func envFunc(getenv func(string) string) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or \"\" when it is unset.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(getenv(args[0].AsString())), nil
		},
	})
}

// maxFormatWidth bounds the width and precision of a format verb: without
// it, format("%999999999s", "x") allocates a gigabyte.
const maxFormatWidth = 1024

// boundedFormat is stdlib's format with every width and precision at most
// maxFormatWidth; a larger one is an error, not an allocation.
func boundedFormat() function.Function {
	return function.New(&function.Spec{
		Description: stdlib.FormatFunc.Description(),
		Params:      stdlib.FormatFunc.Params(),
		VarParam:    stdlib.FormatFunc.VarParam(),
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if f := args[0]; f.IsKnown() && !f.IsNull() {
				if n := largestWidth(f.AsString()); n > maxFormatWidth {
					return cty.DynamicVal, function.NewArgErrorf(0, "a width or precision of %d is more than %d", n, maxFormatWidth)
				}
			}
			return stdlib.FormatFunc.Call(args)
		},
	})
}

// largestWidth returns the largest number written in a verb of a format
// string ("%-20.5s" → 20), or 0.
func largestWidth(f string) int {
	largest := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		n := 0
		for i++; i < len(f) && strings.IndexByte("-+# 0123456789.[]*", f[i]) >= 0; i++ {
			if c := f[i]; c >= '0' && c <= '9' {
				n = min(n*10+int(c-'0'), 1<<30)
				largest = max(largest, n)
			} else {
				n = 0
			}
		}
	}
	return largest
}
