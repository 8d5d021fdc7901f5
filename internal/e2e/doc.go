// Package e2e holds critsweep's process-level tests: they build the critsweep binary once
// and run real coordinator and worker processes on loopback, killing them (SIGKILL) and
// stopping them (SIGTERM) mid-sweep to check that sweeps survive both, with every result
// once and bit-identical to an uninterrupted run. The package has no code of its own;
// `go test -short` skips it.
package e2e
