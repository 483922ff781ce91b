package sdk

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestTypeJSONIsACtyTypeConstraint(t *testing.T) {
	for _, c := range []struct {
		typ  Type
		json string
		hcl  string
	}{
		{String, `"string"`, "string"},
		{Number, `"number"`, "number"},
		{Bool, `"bool"`, "bool"},
		{List(String), `["list","string"]`, "list(string)"},
		{Map(List(String)), `["map",["list","string"]]`, "map(list(string))"},
	} {
		b, err := json.Marshal(c.typ)
		if err != nil || string(b) != c.json {
			t.Errorf("%s: marshal = %s, %v; want %s", c.hcl, b, err, c.json)
		}
		var back Type
		if err := json.Unmarshal(b, &back); err != nil || back.String() != c.hcl {
			t.Errorf("%s: unmarshal = %v, %v", c.hcl, back, err)
		}
	}
	var bad Type
	for _, in := range []string{`"object"`, `["set","string"]`, `["list"]`, `7`} {
		if err := json.Unmarshal([]byte(in), &bad); err == nil {
			t.Errorf("%s was accepted", in)
		}
	}
	if _, err := json.Marshal(Type{}); err == nil {
		t.Error("the zero Type was marshalled")
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want ErrorKind
	}{
		{nil, ""},
		{Errorf(KindNXDomain, "x"), KindNXDomain},
		{fmt.Errorf("wrapped: %w", Errorf(KindHTTPStatus, "503")), KindHTTPStatus},
		{context.DeadlineExceeded, KindTimeout},
		{os.ErrDeadlineExceeded, KindTimeout},
		{context.Canceled, KindCanceled},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), KindRefused},
		{syscall.ENETUNREACH, KindUnreachable},
		{syscall.ECONNRESET, KindReset},
		{x509.UnknownAuthorityError{}, KindCertificate},
		{errors.New("something else"), KindInternal},
	} {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if got := (&Error{Kind: KindTimeout}).Error(); got != "timeout" {
		t.Errorf("an Error without Err prints %q", got)
	}
}

func TestAttributeErrorsAndConfig(t *testing.T) {
	err := AttributeErrorf("servers[1]", "bad %s", "thing")
	var ae *AttributeError
	if !errors.As(err, &ae) || ae.Attribute != "servers[1]" || err.Error() != "servers[1]: bad thing" {
		t.Errorf("err = %v", err)
	}
	var v struct {
		Port int `json:"port"`
	}
	if err := NewConfig([]byte(`{"port": 53}`)).Decode(&v); err != nil || v.Port != 53 {
		t.Errorf("decode: %v, %+v", err, v)
	}
	if string(NewConfig(nil).JSON()) != "{}" {
		t.Error("empty config is not {}")
	}
	if (Target{Host: "::1", Port: 443}).HostPort() != "[::1]:443" {
		t.Error("HostPort does not bracket IPv6")
	}
}
