package output

// The pieces every JSON document shares: the encoder, durations as
// milliseconds, a phase summary, attributes. Each document's layout is
// published as a JSON Schema in docs/schema (see the README's policy).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/probe-net/probe/core/stats"
	"github.com/probe-net/probe/sdk"
)

// EncodeJSON writes v as one indented JSON document: the form of every
// document probe prints.
func EncodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// encodeJSONArray writes doc as EncodeJSON would if *slot, a field of
// doc (a pointer, so that setting *slot shows in it), held an array of n
// elements; elem returns them one at a time, and
// each is encoded and written before the next is made, so neither the
// array nor its encoding is ever whole in memory.
func encodeJSONArray(w io.Writer, doc any, slot *json.RawMessage, n int, elem func(int) any) error {
	const marker = `"\u0000probe-array"` // no value probe writes encodes to it
	*slot = json.RawMessage(marker)
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	before, after, ok := bytes.Cut(head, []byte(marker))
	if !ok {
		return fmt.Errorf("encoding a JSON document: array marker not found")
	}
	indent := "\n" + strings.Repeat(" ", indentOf(before)+2)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(before)
	bw.WriteString("[")
	for i := range n {
		b, err := json.MarshalIndent(elem(i), indent[1:], "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString(indent)
		bw.Write(b)
	}
	if n > 0 {
		bw.WriteString(indent[:len(indent)-2])
	}
	bw.WriteString("]")
	bw.Write(after)
	bw.WriteString("\n")
	return bw.Flush()
}

// indentOf is the indentation of the last line of b.
func indentOf(b []byte) int {
	line := b[bytes.LastIndexByte(b, '\n')+1:]
	return len(line) - len(bytes.TrimLeft(line, " "))
}

type jsonSummary struct {
	Count      int         `json:"count"`
	OK         int         `json:"ok"`
	Failed     int         `json:"failed"`
	Skipped    int         `json:"skipped"`
	Reused     int         `json:"reused"`
	MinMS      *float64    `json:"min_ms"`
	MeanMS     *float64    `json:"mean_ms"`
	P50MS      *float64    `json:"p50_ms"`
	P90MS      *float64    `json:"p90_ms"`
	P99MS      *float64    `json:"p99_ms"`
	MaxMS      *float64    `json:"max_ms"`
	OverheadMS *float64    `json:"overhead_mean_ms"`
	Errors     []jsonError `json:"errors"`
}

// jsonError is one group of failures with the same cause.
type jsonError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"` // the first failure's, as an example
	Cause   string `json:"cause"`   // the message with addresses as <addr>: the group's key
	Count   int    `json:"count"`
}

type jsonFailure struct {
	Phase   string `json:"phase"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func failureDoc(phase string, kind sdk.ErrorKind, message string) *jsonFailure {
	return &jsonFailure{Phase: phase, Kind: string(kind), Message: plainMessage(kind, message)}
}

func summary(s stats.Summary) jsonSummary {
	out := jsonSummary{Count: s.Count, OK: s.OK, Failed: s.Failed, Skipped: s.Skipped, Reused: s.Reused, Errors: []jsonError{}}
	if s.OK > 0 {
		out.MinMS, out.MeanMS, out.P50MS = ms(s.Min), ms(s.Mean), ms(s.P50)
		out.P90MS, out.P99MS, out.MaxMS = ms(s.P90), ms(s.P99), ms(s.Max)
		out.OverheadMS = ms(s.MeanOverhead)
	}
	for _, e := range s.Errors {
		out.Errors = append(out.Errors, jsonError{Kind: string(e.Kind), Message: plainMessage(e.Kind, e.Message),
			Cause: plainMessage(e.Kind, e.Cause), Count: e.Count})
	}
	return out
}

func ms(d time.Duration) *float64 {
	v := float64(d) / float64(time.Millisecond)
	return &v
}

// attributes converts durations to milliseconds so the document has one unit.
func attributes(a sdk.Attributes) map[string]any {
	if len(a) == 0 {
		return nil
	}
	out := make(map[string]any, len(a))
	for k, v := range a {
		if d, ok := v.(time.Duration); ok {
			out[k+"_ms"] = *ms(d)
			continue
		}
		out[k] = v
	}
	return out
}
