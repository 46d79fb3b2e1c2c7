package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hostcall/hostcall/service"
)

// envVar holds the host URLs for hostcall call, separated by spaces (the
// URLs a host passes have their spaces escaped).
const envVar = "HOSTCALL_HOST_FILES"

// envCmd prints the shell line that exports the host URLs found in args
// (a plugin's arguments, "$@"), for eval.
func envCmd(args []string, stdout io.Writer) int {
	urls := service.HostURLsFromArgs(args)
	fmt.Fprintf(stdout, "%s=%s; export %s\n", envVar, shellQuote(strings.Join(urls, " ")), envVar)
	return exitOK
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
