//go:build race

package engine

// raceEnabled: under the race detector sync.Pool drops a share of what
// it is given, so counts of allocations vary by one or so.
const raceEnabled = true
