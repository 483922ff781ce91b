//go:build linux

package dnsphase

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/probe-net/probe/sdk"
	"github.com/probe-net/probe/sdk/sdktest"
)

// hugeAnswer answers every question with 500 A records, over UDP too,
// without truncating: larger than any advertised payload size.
func hugeAnswer(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	for i := range 500 {
		rr, _ := dns.NewRR(fmt.Sprintf("%s 60 IN A 10.1.%d.%d", r.Question[0].Name, i/250, i%250+1))
		m.Answer = append(m.Answer, rr)
	}
	w.WriteMsg(m)
}

// An answer larger than the advertised EDNS0 size that arrives over UDP
// anyway is asked again over TCP, as resolvers do.
func TestOversizedUDPAnswerIsAskedAgainOverTCP(t *testing.T) {
	zone := &testZone{records: map[string][]dns.RR{}}
	addr := startDNS(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		zone.note(r, w.LocalAddr().Network())
		hugeAnswer(w, r)
	}))
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	res := mustResolve(t, h, "huge.probe.test")
	if len(res.Addresses) != 500 || res.Attributes["dns.truncated_retry"] != true || res.Attributes["dns.queries"] != int64(2) {
		t.Errorf("%d addresses, attributes %v; want all 500 after a TCP retry (2 queries)", len(res.Addresses), res.Attributes)
	}
	if q := zone.queries(); len(q) != 2 || q[0].network != "udp" || q[1].network != "tcp" {
		t.Errorf("server saw %v, want udp then tcp", q)
	}
}

// startUDPOnly serves h over UDP only: nothing listens on the TCP port.
func startUDPOnly(t *testing.T, h dns.Handler) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveDNS(t, &dns.Server{PacketConn: pc, Handler: h})
	return pc.LocalAddr().String()
}

func TestOversizedUDPAnswerWithoutTCPSaysWhyInRFCWords(t *testing.T) {
	addr := startUDPOnly(t, dns.HandlerFunc(hugeAnswer))
	for size, rule := range map[int]string{
		1232: "is larger than 1232 bytes, the EDNS0 payload size the query advertised (RFC 6891 §6.2.3)",
		0:    "is larger than 512 bytes, the limit for UDP without EDNS0 (RFC 1035 §4.2.1)",
	} {
		h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}, "edns0_size": size, "attempts": 1})
		_, err := resolveHost(t, h, "huge.probe.test")
		msg := fmt.Sprint(err)
		if sdktest.Kind(err) != sdk.KindDNS || !strings.Contains(msg, rule) ||
			!strings.Contains(msg, "asked again over TCP (RFC 7766 §5): connection refused: nothing listens on the server's port") {
			t.Errorf("edns0_size %d: err = %v (kind %q); want the size rule and the refused TCP retry", size, err, sdktest.Kind(err))
		}
		if strings.Contains(msg, "overflow") || strings.Contains(msg, "buffer size") {
			t.Errorf("edns0_size %d: message carries the library's words: %s", size, msg)
		}
	}
}

// garbageServer answers each query with its ID and then bytes that are
// not a DNS message.
func garbageServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 2 {
				continue
			}
			reply := append([]byte{buf[0], buf[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0}, []byte{0xff, 0xff, 0xff, 0x3f}...)
			pc.WriteTo(reply, from)
		}
	}()
	return pc.LocalAddr().String()
}

func TestMalformedAnswerSaysSoInRFCWords(t *testing.T) {
	addr := garbageServer(t)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{addr}, "families": []string{"ipv4"}})
	_, err := resolveHost(t, h, "www.probe.test")
	want := fmt.Sprintf("dns: www.probe.test A: the answer is not a well-formed DNS message (RFC 1035 §4.1) (server %s)", addr)
	if sdktest.Kind(err) != sdk.KindDNS || fmt.Sprint(err) != want {
		t.Errorf("err = %v (kind %q)\nwant  %s", err, sdktest.Kind(err), want)
	}
}

func TestTimeoutMessagesCarryNoInternals(t *testing.T) {
	silent, _ := startSilent(t)
	h := configured(t, testPhase(t), map[string]any{"servers": []string{silent}, "timeout": "100ms", "attempts": 1, "families": []string{"ipv4"}})
	_, err := resolveHost(t, h, "www.probe.test")
	want := fmt.Sprintf("timeout: www.probe.test A: no answer within 100ms (server %s)", silent)
	if sdktest.Kind(err) != sdk.KindTimeout || fmt.Sprint(err) != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}
