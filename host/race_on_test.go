//go:build race

package host_test

// raceEnabled: the race detector slows byte-moving tests tenfold; they
// move less under it, and .ci/run runs them at full size without it.
const raceEnabled = true
