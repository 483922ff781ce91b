package sdk

import (
	"encoding/json"
	"fmt"
)

// Type is the type of a config attribute. It is written in HCL and
// type-checked by the host before the plugin sees it.
type Type struct {
	kind string // "string", "number", "int", "bool", "list", "map"
	elem *Type
}

// Attribute types. HCL converts where it can: "3" is accepted for a Number
// and "true" for a Bool.
var (
	String = Type{kind: "string"}
	// Number is any number (1, 0.5, 1e3); decode it into a float64.
	Number = Type{kind: "number"}
	// Int is a whole number from -2^63 to 2^63-1; decode it into an int or
	// int64. The host rejects 1.5 (or 1e30) at the attribute's position,
	// element included ("retries", "ports[1]"), before Configure is called.
	Int  = Type{kind: "int"}
	Bool = Type{kind: "bool"}
)

// List is a list whose elements have type elem.
func List(elem Type) Type { return Type{kind: "list", elem: &elem} }

// Map is a map from string keys to values of type elem.
func Map(elem Type) Type { return Type{kind: "map", elem: &elem} }

// String returns the type as HCL writes it: string, list(string), ...
func (t Type) String() string {
	if t.elem == nil {
		return t.kind
	}
	return t.kind + "(" + t.elem.String() + ")"
}

// MarshalJSON encodes the type in the form of a cty type constraint
// ("string", ["list","string"]), the form the host decodes HCL with. cty
// has no integer type: Int is written "int", which the host reads as
// "number" plus a check that the value is whole.
func (t Type) MarshalJSON() ([]byte, error) {
	if t.kind == "" {
		return nil, fmt.Errorf("sdk: zero Type")
	}
	if t.elem == nil {
		return json.Marshal(t.kind)
	}
	return json.Marshal([]any{t.kind, *t.elem})
}

// UnmarshalJSON decodes a cty type constraint of the forms MarshalJSON writes.
func (t *Type) UnmarshalJSON(b []byte) error {
	var kind string
	if err := json.Unmarshal(b, &kind); err == nil {
		switch kind {
		case "string", "number", "int", "bool":
			*t = Type{kind: kind}
			return nil
		}
		return fmt.Errorf("sdk: unsupported type %q", kind)
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("sdk: unsupported type %s", b)
	}
	if err := json.Unmarshal(pair[0], &kind); err != nil || (kind != "list" && kind != "map") {
		return fmt.Errorf("sdk: unsupported type %s", b)
	}
	var elem Type
	if err := elem.UnmarshalJSON(pair[1]); err != nil {
		return err
	}
	*t = Type{kind: kind, elem: &elem}
	return nil
}

// Config is a plugin's decoded config: a JSON object holding the attributes
// that were set (unset optional attributes are absent or null), and the
// name of the plugin instance it configures.
type Config struct {
	raw      json.RawMessage
	instance string
}

// NewConfig wraps a JSON object. Tests use it to configure a phase directly.
func NewConfig(jsonObject []byte) Config { return Config{raw: jsonObject} }

// InstanceName is the label of the targets file's block this instance
// serves: "dns" for `plugin "dns" { ... }`, or the built-in's phase name
// when no block declares it. It is the instance's slot in target chains,
// so two blocks running the same binary get different names, and a plugin
// that reports attributes under its own name (see InstanceKey) keeps the
// two apart. It is "" when the caller did not say (NewConfig).
func (c Config) InstanceName() string { return c.instance }

// WithInstanceName returns c configuring the instance called name, as the
// host sends it; tests use it to configure a phase as a named instance.
func (c Config) WithInstanceName(name string) Config {
	c.instance = name
	return c
}

// JSON returns the raw JSON object ("{}" when empty).
func (c Config) JSON() []byte {
	if len(c.raw) == 0 {
		return []byte("{}")
	}
	return c.raw
}

// Decode unmarshals the config into v, typically a struct with json tags
// matching the attribute names. Unknown fields are ignored: the host already
// rejected attributes the schema does not declare.
func (c Config) Decode(v any) error {
	if err := json.Unmarshal(c.JSON(), v); err != nil {
		return fmt.Errorf("decoding config: %w", err)
	}
	return nil
}
