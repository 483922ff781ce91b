package sdk

import (
	"encoding/json"
	"fmt"
)

// Type is the type of a config attribute. It is written in HCL and
// type-checked by the host before the plugin sees it.
type Type struct {
	kind string // "string", "number", "bool", "list", "map"
	elem *Type
}

// Attribute types.
var (
	String = Type{kind: "string"}
	Number = Type{kind: "number"}
	Bool   = Type{kind: "bool"}
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

// MarshalJSON encodes the type as a cty type constraint ("string",
// ["list","string"]), the form the host decodes HCL with.
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
		case "string", "number", "bool":
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
// that were set (unset optional attributes are absent or null).
type Config struct {
	raw json.RawMessage
}

// NewConfig wraps a JSON object. Tests use it to configure a phase directly.
func NewConfig(jsonObject []byte) Config { return Config{raw: jsonObject} }

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
