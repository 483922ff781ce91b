// Package phasev1 is the generated gRPC code of the phase plugin protocol
// (phase.proto). It is internal: plugin authors use sdk/, and internal/wire
// converts at the boundary. Regenerate with `make proto`; CI fails when the
// committed code has drifted from phase.proto (`make proto-check`).
package phasev1
