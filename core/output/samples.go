package output

// This file renders the NDJSON stream (--format ndjson): one probe.sample/v1
// object per line, written as each probe finishes, for jq and pipes.

import (
	"encoding/json"
	"io"
	"time"

	"github.com/probe-net/probe/core/sample"
	"github.com/probe-net/probe/sdk"
)

// SampleSchema identifies the layout of each NDJSON line
// (docs/schema/probe.sample.v1.json).
const SampleSchema = "probe.sample/v1"

// SampleWriter writes one JSON object per finished probe, each on one line
// (NDJSON): schema, the target (name, host, port, protocol), round
// (1-based), started_at (RFC 3339, UTC), ok, failed_phase, total_ms (the sum
// of the phases' own durations), wall_ms (the host's time for the chain),
// reused, note, and phases as in probe.test/v1 (phase, plugin, status, note,
// duration_ms, wall_ms, error, attributes). The caller serialises the calls
// (runner.Run's emit does).
type SampleWriter struct {
	enc     *json.Encoder
	targets map[string]sdk.Target
	err     error
}

// NewSampleWriter prepares lines for samples of targets.
func NewSampleWriter(w io.Writer, targets []sdk.Target) *SampleWriter {
	sw := &SampleWriter{enc: json.NewEncoder(w), targets: make(map[string]sdk.Target, len(targets))}
	for _, t := range targets {
		sw.targets[t.Name] = t
	}
	return sw
}

type sampleJSON struct {
	Schema      string       `json:"schema"`
	Target      string       `json:"target"`
	Host        string       `json:"host"`
	HostU       string       `json:"host_unicode,omitempty"`
	Port        int          `json:"port"`
	Protocol    string       `json:"protocol"`
	Round       int          `json:"round"`
	Started     string       `json:"started_at,omitempty"`
	OK          bool         `json:"ok"`
	FailedPhase *string      `json:"failed_phase"`
	TotalMS     float64      `json:"total_ms"`
	WallMS      float64      `json:"wall_ms"`
	Reused      bool         `json:"reused"`
	Note        string       `json:"note,omitempty"`
	Phases      []probePhase `json:"phases"`
}

// Write writes s as one line. After a write error it writes nothing more
// and Err returns the error.
func (sw *SampleWriter) Write(s sample.Sample) {
	if sw.err != nil {
		return
	}
	t := sw.targets[s.Target]
	line := sampleJSON{
		Schema: SampleSchema, Target: s.Target, Host: t.Host, HostU: sdk.UnicodeHost(t.Host), Port: t.Port, Protocol: t.Protocol,
		Round: s.Round + 1, OK: s.OK(), TotalMS: *ms(s.Total()), WallMS: *ms(s.Wall),
		Reused: s.Reused, Note: s.Note, Phases: []probePhase{},
	}
	if !s.Start.IsZero() {
		line.Started = s.Start.UTC().Format(time.RFC3339Nano)
	}
	if f := s.Failure(); f != nil {
		line.FailedPhase = &f.Name
	}
	for _, p := range s.Phases {
		line.Phases = append(line.Phases, probePhaseDoc(p))
	}
	sw.err = sw.enc.Encode(line)
}

// Err returns the first write error.
func (sw *SampleWriter) Err() error { return sw.err }
