//go:build race

package main

// raceEnabled: the test binary is built with -race, and so are the
// drivers it builds.
const raceEnabled = true
