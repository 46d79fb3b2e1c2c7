//go:build !linux

package hostcalltest_test

func runtimeHasProc() bool { return false }
