package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hostcall/hostcall/pluginexec"
)

// infoCmd runs `PLUGIN info` and prints the manifest, indented.
func infoCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, "usage: hostcall info PLUGIN\n")
		return exitUsage
	}
	plug, err := pluginexec.NewPlugin(context.Background(), args[0], pluginexec.WithStderr(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "hostcall info: %v\n", err)
		return exitFailed
	}
	b, err := json.MarshalIndent(plug.Manifest, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "hostcall info: encoding the manifest of %s: %v\n", args[0], err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return exitOK
}
