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
	urls := hostURLs(args)
	fmt.Fprintf(stdout, "%s=%s; export %s\n", envVar, shellQuote(strings.Join(urls, " ")), envVar)
	return exitOK
}

// hostURLs finds --host-file and --host values in a plugin's arguments, as
// a plugin does (docs/PROTOCOL.md, section 1).
func hostURLs(args []string) []string {
	var urls []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		for _, name := range []string{service.HostFileFlag, service.HostFlag} {
			switch {
			case a == "--"+name && i+1 < len(args):
				urls = append(urls, args[i+1])
				i++
			case strings.HasPrefix(a, "--"+name+"="):
				urls = append(urls, strings.TrimPrefix(a, "--"+name+"="))
			}
		}
	}
	return urls
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
