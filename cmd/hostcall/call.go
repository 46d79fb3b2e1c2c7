package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/service"
)

// callCmd calls one service of the host and prints its results as JSON, one
// per line.
func callCmd(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("hostcall call", pflag.ContinueOnError)
	fs.SetInterspersed(false) // ARGS may look like flags: -1
	fs.SetOutput(stderr)
	var urls []string
	fs.StringArrayVar(&urls, service.HostFileFlag, nil, "URL of the pipes to the host (repeat: input then output); default $"+envVar)
	fs.StringArrayVar(&urls, service.HostFlag, nil, "alias of --host-file")
	timeout := fs.Duration("timeout", 0, "give up after this long (0: wait for the reply); the host runs the service under that deadline")
	connectTimeout := fs.Duration("connect-timeout", 10*time.Second, "give up opening the host's URLs after this long (a named pipe nobody opens)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: hostcall call [--host-file URL]... [--timeout DURATION] NAMESPACE NAME [ARGS...]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "hostcall call: %v\n", err)
		fs.Usage()
		return exitUsage
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return exitUsage
	}
	if len(urls) == 0 {
		urls = strings.Fields(os.Getenv(envVar))
	}
	if len(urls) == 0 {
		fmt.Fprintf(stderr, "hostcall call: not hosted: no --host-file and no $%s (a plugin gets them from its host, see hostcall env)\n", envVar)
		return exitUsage
	}
	ns, name := fs.Arg(0), fs.Arg(1)
	callArgs := jsonArgs(fs.Args()[2:])

	ctx := context.Background()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	conn, err := dialHostWithin(urls, *connectTimeout)
	if err != nil {
		fmt.Fprintf(stderr, "hostcall call: %v\n", err)
		return exitUsage
	}
	defer conn.Close()
	results, err := conn.call(ctx, ns, name, callArgs)
	var remote *remoteError
	switch {
	case errors.As(err, &remote):
		fmt.Fprintf(stderr, "hostcall call: %s.%s: %s\n", ns, name, remote)
		return exitFailed
	case err != nil:
		fmt.Fprintf(stderr, "hostcall call: %s.%s: %v\n", ns, name, err)
		return exitUsage
	}
	for _, r := range results {
		fmt.Fprintf(stdout, "%s\n", r)
	}
	return exitOK
}

// jsonArgs makes the JSON array of a call's arguments: each word is taken
// as JSON when it is a JSON value, else as a string.
func jsonArgs(words []string) json.RawMessage {
	parts := make([]string, len(words))
	for i, w := range words {
		if json.Valid([]byte(w)) && strings.TrimSpace(w) != "" {
			parts[i] = compact(w)
			continue
		}
		b, _ := json.Marshal(w) // a string always encodes
		parts[i] = string(b)
	}
	return json.RawMessage("[" + strings.Join(parts, ",") + "]")
}

func compact(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// dialHostWithin is dialHost bounded by d (no bound when d <= 0): opening
// a named pipe blocks until the other end opens it. The goroutine of an
// open that timed out is left to the process's exit.
func dialHostWithin(urls []string, d time.Duration) (*hostConn, error) {
	if d <= 0 {
		return dialHost(urls)
	}
	type result struct {
		c   *hostConn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := dialHost(urls)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		return r.c, r.err
	case <-time.After(d):
		return nil, fmt.Errorf("connecting to the host: opening %q took over %v", urls, d)
	}
}
