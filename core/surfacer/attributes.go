package surfacer

import (
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Attribute names read from the phases' results (see the plugins' READMEs).
const (
	attrChainNotAfter = sdk.AttrTLSChainNotAfter // earliest NotAfter in the verified chain
	attrLeafNotAfter  = sdk.AttrTLSPeerNotAfter  // the leaf's, from plugins without the above
	attrHTTPStatus    = sdk.AttrHTTPStatus
)

// attrs merges the attributes of a sample's phases; later phases win.
type attrs sdk.Attributes

func attributes(smp sample.Sample) attrs {
	out := attrs{}
	for _, p := range smp.Phases {
		for k, v := range p.Attributes {
			out[k] = v
		}
	}
	return out
}

// certExpiry is the earliest certificate expiry in Unix seconds.
func (a attrs) certExpiry() (float64, bool) {
	for _, name := range []string{attrChainNotAfter, attrLeafNotAfter} {
		s, ok := a[name].(string)
		if !ok {
			continue
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return float64(t.Unix()), true
		}
	}
	return 0, false
}

// httpStatus is the response's status code.
func (a attrs) httpStatus() (float64, bool) {
	switch v := a[attrHTTPStatus].(type) {
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}
