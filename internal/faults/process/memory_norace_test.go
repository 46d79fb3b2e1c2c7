//go:build linux && !race

package process

// raceEnabled: the race detector's shadow memory inflates resident sizes.
const raceEnabled = false
