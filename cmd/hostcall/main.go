// Command hostcall is the command-line face of hostcall, for plugins and
// hosts in any language:
//
//	hostcall info PLUGIN                      print PLUGIN's manifest, indented
//	hostcall run [--registry FILE] PLUGIN [CMD...]
//	                                          run a plugin command against canned services
//	hostcall call [--host-file URL]... [--timeout D] NS NAME [ARGS...]
//	                                          call a host service from a plugin (a shell script)
//	hostcall env [PLUGIN-ARGS...]             print the shell line that exports HOSTCALL_HOST_FILES
//	hostcall conformance host|client [--kit DIR] -- COMMAND [ARGS...]
//	                                          run the conformance kit against a host or a client
//	hostcall --version
//
// Install it with go install github.com/hostcall/hostcall/cmd/hostcall@latest.
//
// # Exit status
//
// 0 on success; for run, the plugin's own status. 1 when the host answered
// a call with an error (call), a plugin or registry failed (info, run) or
// a conformance case failed; 2 for a usage error or when the host cannot be
// reached (call).
//
// # Conformance
//
// hostcall conformance runs the conformance kit (testdata/conformance in a
// clone of hostcall: its README says how to write a host or a client
// driver for it) against any implementation of the protocol, one process
// per case:
//
//	hostcall conformance host -- ./my-host --serve-kit
//	hostcall conformance client -- python3 my_driver.py
//
// # Calling the host from a shell plugin
//
// A host starts a plugin with --host-file arguments (docs/PROTOCOL.md,
// section 1). A shell plugin hands them to hostcall call, either on each
// call:
//
//	hostcall call --host-file "$in" --host-file "$out" calc add 1 2
//
// or once for the whole script, through the environment:
//
//	eval "$(hostcall env "$@")"   # exports HOSTCALL_HOST_FILES
//	hostcall call calc add 1 2    # prints 3
//
// ARGS are JSON values (1, "x" with its quotes, [1,2], {"k":true}); an
// argument that is not JSON is sent as a string (hello, or 1.2.3). The
// results are printed as JSON, one per line.
//
// Each hostcall call opens the host's pipes anew and reads its own reply,
// nothing after it: a shell plugin makes one call at a time (two calls
// running at once on the same pipes could each read the other's reply).
// This works with inherited descriptors (host.WithInheritedPipes: fd://N,
// which the shell and each of its children hold), the transport hostcall
// run uses by default. It does not work with the host's anonymous pipes
// reached through procfs: the host closes its copies of a plugin's ends
// once the plugin has opened them (so that no other process can open them
// by name, see SECURITY.md), so only the first hostcall call can open
// them. Nor with named pipes, which the host removes once opened and whose
// stream ends when the first hostcall call closes it.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // the host answered with an error; a plugin failed
	exitUsage   = 2 // bad usage; the host cannot be reached
	versionText = "hostcall %s (protocol 2, falls back to 1)\n"
)

const usage = `usage:
  hostcall info PLUGIN
  hostcall run [--registry FILE] [--transport inherited|procfs|named] PLUGIN [CMD...]
  hostcall call [--host-file URL]... [--timeout DURATION] NAMESPACE NAME [ARGS...]
  hostcall env [PLUGIN-ARGS...]
  hostcall conformance host|client [--kit DIR] [--run REGEXP] -- COMMAND [ARGS...]
  hostcall --version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "--version", "version":
		fmt.Fprintf(stdout, versionText, version())
		return exitOK
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "info":
		return infoCmd(args[1:], stdout, stderr)
	case "run":
		return runCmd(args[1:], stdout, stderr)
	case "call":
		return callCmd(args[1:], stdout, stderr)
	case "env":
		return envCmd(args[1:], stdout)
	case "conformance":
		return conformanceCmd(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hostcall: unknown command %q\n%s", args[0], usage)
	return exitUsage
}

// version is the module version the binary was built from, "(devel)" for
// a build inside the module.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
