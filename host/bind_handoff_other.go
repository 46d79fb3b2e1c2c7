//go:build !linux

package host

// pipeInodes reports false: without procfs the host cannot see when a
// plugin holds its ends, only when its first bytes arrive.
func pipeInodes([]pluginEnd) bool { return false }

func heldByDescendants([]pluginEnd) map[uint64]bool { return nil }
