//go:build race

package dashboard

// raceEnabled is true under the race detector, which slows training tenfold: the browser
// test, whose sweep trains for real, runs in the plain test run.
const raceEnabled = true
