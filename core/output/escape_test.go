package output

import (
	"bytes"
	"strings"
	"testing"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// Certificate fields, header values, DNS names and error messages come from
// servers: the text renderers escape them; the JSON keeps them exact.
func TestRenderersEscapeValuesFromServers(t *testing.T) {
	const osc = "\x1b]0;TITLE\x07"
	s := wfFailedSample()
	s.Phases[0].Attributes["dns.answers"] = []string{"127.0.0.1", osc}
	s.Phases[2].Attributes["tls.peer.issuer"] = "CN=" + osc
	s.Phases[2].Error = &sample.Error{Kind: sdk.KindCertificate, Message: "bad certificate for " + osc + "\nFAKE LINE"}
	var buf bytes.Buffer
	if err := WriteDetails(&buf, s, true); err != nil {
		t.Fatal(err)
	}
	if err := WriteWaterfall(&buf, s, 80, true); err != nil {
		t.Fatal(err)
	}
	if got := describeError(s.Phases[2].Error.Kind, s.Phases[2].Error.Message); strings.ContainsAny(got, "\x1b\x07\n") {
		t.Errorf("describeError = %q", got)
	}
	pw := NewPreconnectWriter(&buf, []string{"t"}, []string{"dns", "tcp", "tls"}, 1, Options{})
	for _, ph := range s.Phases {
		pw.Phase(PhaseEvent{Target: "t", Phase: ph})
	}
	r := ProbeReport{Target: probeTarget("secure.probe.test", 443, "https"), Sample: s, Probes: 1}
	if err := r.Render(&buf, FormatTable, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\x1b]") || strings.Contains(out, "\x07") || strings.Contains(out, "\nFAKE") {
		t.Errorf("raw text from a server in the output:\n%q", out)
	}
	if !strings.Contains(out, `CN=\u001b]0;TITLE\u0007`) {
		t.Errorf("escaped issuer missing:\n%s", out)
	}
	var js bytes.Buffer
	if err := r.Render(&js, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `CN=\u001b]0;TITLE\u0007`) {
		t.Errorf("JSON does not keep the value exact:\n%s", js.String())
	}
}
