//go:build linux

package httpphase_test

import (
	"testing"

	httpphase "github.com/probe-net/probe/plugins/http"
	"github.com/probe-net/probe/sdk/sdktest"
)

func TestBadConfig(t *testing.T) {
	tests := []struct {
		config string
		want   []string // "attribute: message", in the order reported
	}{
		{`{"method": "POST"}`, []string{`method: must be "HEAD" or "GET", got "POST"`}},
		{`{"method": "head"}`, []string{`method: must be "HEAD" or "GET", got "head"`}},
		{`{"method": "GET", "fallback_to_get": true}`, []string{`fallback_to_get: only applies when method is "HEAD"`}},
		{`{"expect_status": [200, 600]}`, []string{`expect_status[1]: must be a whole number from 100 to 599, got 600`}},
		{`{"expect_status": [99]}`, []string{`expect_status[0]: must be a whole number from 100 to 599, got 99`}},
		{`{"expect_status": [200.5]}`, []string{`expect_status[0]: must be a whole number from 100 to 599, got 200.5`}},
		{`{"expect_status": []}`, []string{`expect_status: must not be empty (omit it to accept any 2xx or 3xx)`}},
		{`{"path": "health"}`, []string{`path: must start with "/", got "health"`}},
		{`{"path": "/a b"}`, []string{`path: must hold only visible ASCII characters and no "#" (percent-encode others), got "/a b"`}},
		{`{"path": "/a#frag"}`, []string{`path: must hold only visible ASCII characters and no "#" (percent-encode others), got "/a#frag"`}},
		{`{"max_header_bytes": -1}`, []string{`max_header_bytes: must be a whole number from 1 to 1073741824, got -1`}},
		{`{"max_header_bytes": 0}`, []string{`max_header_bytes: must be a whole number from 1 to 1073741824, got 0`}},
		{`{"host": ""}`, []string{`host: must not be empty (omit it to use the target's host)`}},
		{`{"host": "a b"}`, []string{`host: must be a host or host:port, got "a b"`}},
		{`{"user_agent": "x\r\nEvil: 1"}`, []string{`user_agent: must not contain control characters, got "x\r\nEvil: 1"`}},
		{`{"headers": {"Bad Name": "v"}}`, []string{`headers["Bad Name"]: is not a valid header name`}},
		{`{"headers": {"X-A": "v\n"}}`, []string{`headers["X-A"]: must not contain control characters, got "v\n"`}},
		{`{"headers": {"host": "h"}}`, []string{`headers["host"]: set it with the "host" attribute`}},
		{`{"headers": {"Connection": "close"}}`, []string{`headers["Connection"]: set by the "keep_alive" attribute`}},
		{`{"headers": {"Content-Length": "1"}}`, []string{`headers["Content-Length"]: not allowed: the request has no body`}},
		{`{"path": 5}`, []string{`path: has the wrong type: got number, want string`}},
		{`{"method": "PUT", "path": "x", "max_header_bytes": -5}`, []string{
			`path: must start with "/", got "x"`,
			`method: must be "HEAD" or "GET", got "PUT"`,
			`max_header_bytes: must be a whole number from 1 to 1073741824, got -5`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.config, func(t *testing.T) {
			problems := sdktest.New(t, httpphase.New()).Configure(t, tt.config)
			var got []string
			for _, p := range problems {
				got = append(got, p.Attribute+": "+p.Err.Error())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("problem %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestGoodConfigIsAccepted(t *testing.T) {
	h := sdktest.New(t, httpphase.New())
	cfg := `{"path": "/x?y=1", "host": "h:8080", "user_agent": "", "headers": {"X-A": "1", "Accept": "*/*"},
		"expect_status": [200, 301], "method": "HEAD", "fallback_to_get": true, "keep_alive": true,
		"max_header_bytes": 65536}`
	if problems := h.Configure(t, cfg); problems != nil {
		t.Fatalf("problems = %v", problems)
	}
	if problems := h.Configure(t, `{"path": null, "method": null, "expect_status": null}`); problems != nil {
		t.Fatalf("nulls mean defaults; problems = %v", problems)
	}
}
