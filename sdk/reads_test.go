package sdk

import (
	"reflect"
	"testing"
)

func TestSelect(t *testing.T) {
	a := Attributes{"tls.alpn": "h2", "tls.version": "TLS 1.3", "tlsx.other": 1, "dns.rcode": "NOERROR"}
	for _, c := range []struct {
		reads []string
		want  Attributes
	}{
		{nil, a},
		{ReadsNone, nil},
		{[]string{"tls.alpn"}, Attributes{"tls.alpn": "h2"}},
		{[]string{"tls."}, Attributes{"tls.alpn": "h2", "tls.version": "TLS 1.3"}}, // not tlsx.other
		{[]string{"tls"}, nil}, // a key, not a prefix
		{[]string{"http.status"}, nil},
	} {
		if got := a.Select(c.reads); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Select(%q) = %v, want %v", c.reads, got, c.want)
		}
	}
	sel := a.Select(nil)
	sel["tls.alpn"] = "changed"
	if a["tls.alpn"] != "h2" {
		t.Error("Select(nil) returned the map itself, not a copy")
	}
}
