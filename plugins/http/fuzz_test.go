//go:build linux

package httpphase_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	httpphase "github.com/probe-net/probe/plugins/http"
	"github.com/probe-net/probe/sdk"
)

// FuzzResponse has the phase read arbitrary bytes as the server's answer,
// over an in-memory connection, with HEAD or GET, keep-alive and the GET
// fallback on or off. Whatever the server sends: no panic; the phase ends
// within its budget; it fails with a classified error or succeeds with a
// status it read; a connection it calls reusable had a response read to its
// end.
func FuzzResponse(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
		"HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n",
		"HTTP/1.1 500 \x1b]0;T\x07\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"garbage\r\n\r\n", "", "HTTP/1.1 200 OK\r\n",
	} {
		f.Add([]byte(seed), uint8(0))
		f.Add([]byte(seed), uint8(6))
		f.Add([]byte(seed), uint8(3))
	}
	f.Fuzz(func(t *testing.T, response []byte, flags uint8) {
		method := "HEAD"
		if flags&1 != 0 {
			method = "GET"
		}
		// fallback_to_get applies to HEAD only.
		cfg := fmt.Sprintf(`{"method": %q, "keep_alive": %t, "fallback_to_get": %t, "max_header_bytes": 4096}`,
			method, flags&2 != 0, flags&4 != 0 && method == "HEAD")
		p := httpphase.New()
		if err := p.Configure(sdk.NewConfig([]byte(cfg))); err != nil {
			t.Fatal(err)
		}
		client, server := net.Pipe()
		served := make(chan struct{})
		go func() {
			defer close(served)
			defer server.Close()
			serveOnce(server, response)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		res, err := p.Run(ctx, &sdk.Request{Conn: client, Target: sdk.Target{Name: "f", Host: "f.probe.test", Port: 80, Protocol: "http"}})
		took := time.Since(start)
		client.Close()
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Fatal("the server goroutine did not end")
		}
		if took > 5*time.Second {
			t.Fatalf("the phase took %v", took)
		}
		if err != nil {
			var se *sdk.Error
			if !errors.As(err, &se) || se.Kind == "" {
				t.Fatalf("unclassified error %T: %v", err, err)
			}
			return
		}
		status, _ := res.Attributes["http.status"].(int64)
		if status < 100 || status > 999 || res.Duration < 0 {
			t.Fatalf("success with status %d, duration %v: %v", status, res.Duration, res.Attributes)
		}
		if res.Reusable && !strings.Contains(cfg, `"keep_alive": true`) {
			t.Fatalf("reusable without keep-alive: %v", res.Attributes)
		}
	})
}

// serveOnce reads one request head, answers with response and returns; a
// closed connection ends it early.
func serveOnce(conn net.Conn, response []byte) {
	br := bufio.NewReader(conn)
	for read := 0; read < 1<<16; {
		line, err := br.ReadString('\n')
		read += len(line)
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	_, _ = conn.Write(response)
}
