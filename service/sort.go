package service

import "sort"

// sortedCopy returns names sorted: protocol 1 hosts need not sort them.
func sortedCopy(names []string) []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	return out
}
