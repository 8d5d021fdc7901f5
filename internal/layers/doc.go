// Package layers holds the test that keeps the import graph to the rules of
// docs/design.md: its package table says which project packages each package may import,
// directly or not, and the test reads that table and compares it with `go list -deps`.
package layers
