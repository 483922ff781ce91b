package sdk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
		// Wrapped as the standard library wraps them.
		{io.EOF, KindReset},
		{fmt.Errorf("reading headers: %w", io.ErrUnexpectedEOF), KindReset},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, KindReset},
		{&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}, KindReset},
		{syscall.ECONNABORTED, KindReset},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, KindRefused},
		{&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}, KindUnreachable},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, KindTimeout},
		{&net.DNSError{Err: "i/o timeout", IsTimeout: true}, KindTimeout},
		{fmt.Errorf("handshake: %w", context.DeadlineExceeded), KindTimeout},
		// A deadline that cut a read short is a timeout, not a reset.
		{fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, context.DeadlineExceeded), KindTimeout},
		{tls.AlertError(40), KindTLS},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, KindTLS},
		{&net.OpError{Op: "remote error", Err: tls.AlertError(40)}, KindTLS},
		{&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, KindCertificate},
		{x509.HostnameError{Host: "www.probe.test"}, KindCertificate},
		{x509.CertificateInvalidError{Reason: x509.Expired}, KindCertificate},
		{&net.DNSError{Err: "no such host", Name: "missing.probe.test", IsNotFound: true}, KindNXDomain},
		{&net.DNSError{Err: "server misbehaving", Name: "www.probe.test"}, KindDNS},
		// An explicit kind wins over the cause it wraps.
		{Errorf(KindProtocol, "bad status line: %w", io.EOF), KindProtocol},
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

// Int has no cty type of its own: it travels as "int" and the host reads it
// as a number that must be whole.
func TestIntType(t *testing.T) {
	for _, c := range []struct {
		typ  Type
		json string
		hcl  string
	}{
		{Int, `"int"`, "int"},
		{List(Int), `["list","int"]`, "list(int)"},
		{Map(List(Int)), `["map",["list","int"]]`, "map(list(int))"},
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
	if Int == Number {
		t.Error("Int is Number")
	}
}

func TestInstanceName(t *testing.T) {
	cfg := NewConfig([]byte(`{}`))
	if cfg.InstanceName() != "" {
		t.Errorf("NewConfig has instance name %q", cfg.InstanceName())
	}
	named := cfg.WithInstanceName("backup_dns")
	if named.InstanceName() != "backup_dns" || cfg.InstanceName() != "" || string(named.JSON()) != "{}" {
		t.Errorf("WithInstanceName: %q (original %q), JSON %s", named.InstanceName(), cfg.InstanceName(), named.JSON())
	}
	for _, c := range []struct{ instance, key, want string }{
		{"", AttrDNSAnswers, "dns.answers"},
		{"dns", AttrDNSAnswers, "dns.answers"},
		{"backup_dns", AttrDNSAnswers, "backup_dns.answers"},
		{"peer", AttrTLSPeerSANs, "peer.peer.sans"},
		{"x", "nodot", "nodot"},
	} {
		if got := InstanceKey(c.instance, c.key); got != c.want {
			t.Errorf("InstanceKey(%q, %q) = %q, want %q", c.instance, c.key, got, c.want)
		}
	}
}
