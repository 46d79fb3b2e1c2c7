package hostcalltest_test

func runtimeHasProc() bool { return true }
