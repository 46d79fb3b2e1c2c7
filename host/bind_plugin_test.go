//go:build linux

package host_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

// bindPluginEnv makes the test binary act as the plugin of the bind tests
// below (bindPluginMain), which main_test.go's plugin does not cover.
const bindPluginEnv = "HOSTCALL_HOST_BIND_PLUGIN"

// The helper runs from init, before TestMain, so that it needs no case in
// TestMain.
func init() {
	if os.Getenv(bindPluginEnv) == "1" {
		os.Exit(bindPluginMain(os.Args[1:]))
	}
}

var bindManifest = pluginexec.Manifest{
	Name:    "bindtest",
	Version: "1.0.0",
	Commands: []pluginexec.Command{
		{Path: []string{"check"}, Type: "check"},           // connects, then calls bind.check
		{Path: []string{"close"}, Type: "close"},           // holds a call, closes its pipes, stays
		{Path: []string{"hostonly"}, Type: "hostonly"},     // knows --host only, calls calc.add
		{Path: []string{"who", "am", "i"}, Type: "whoami"}, // calls caller.report with its own pid
	},
}

// bindPlugin describes the test binary as the bind tests' plugin.
func bindPlugin(t *testing.T) *pluginexec.Plugin {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := pluginexec.NewPlugin(context.Background(), exe, pluginexec.WithEnv(bindPluginEnv+"=1"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// bindPluginEnvs is the environment of every run of the bind tests' plugin.
var bindPluginEnvs = pluginexec.WithEnv(bindPluginEnv+"=1", "GORACE=atexit_sleep_ms=0")

func bindPluginMain(args []string) int {
	if handled, err := pluginexec.HandleInfo(os.Stdout, args, bindManifest); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin:", err)
			return 1
		}
		return 0
	}
	if len(args) > 0 && args[0] == "hostonly" {
		return hostOnlyPlugin(args[1:])
	}
	fs := pflag.NewFlagSet("plugin", pflag.ContinueOnError)
	service.AddHostFlags(fs)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 2
	}
	if err := service.InitServiceClient(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	switch fs.Arg(0) {
	case "check":
		var check func() (string, error)
		service.GetService("bind", "check", &check)
		s, err := check()
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin: check:", err)
			return 1
		}
		fmt.Println(s)
	case "who":
		// Tells the host its own process id, for the host to compare with
		// what CallerFromContext says.
		var report func(pid int) error
		service.GetService("caller", "report", &report)
		if err := report(os.Getpid()); err != nil {
			fmt.Fprintln(os.Stderr, "plugin: report:", err)
			return 1
		}
		fmt.Println("reported")
	case "close":
		// A call in flight, then the pipes closed while the process stays:
		// the host must see the connection end now, not at exit.
		var hold, ready func() error
		service.GetService("bind", "hold", &hold)
		service.GetService("bind", "ready", &ready)
		go hold()
		if err := ready(); err != nil {
			fmt.Fprintln(os.Stderr, "plugin: ready:", err)
			return 1
		}
		service.Default().Close()
		time.Sleep(time.Minute) // the test ends the run
	default:
		fmt.Fprintf(os.Stderr, "plugin: unknown command %q\n", fs.Arg(0))
		return 2
	}
	return 0
}

// hostOnlyPlugin is a plugin of the older convention: it accepts --host
// and no other flag, and dials the URLs itself.
func hostOnlyPlugin(args []string) int {
	fs := pflag.NewFlagSet("hostonly", pflag.ContinueOnError)
	urls := fs.StringArray("host", nil, "host URLs")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 2
	}
	c, err := service.Dial(context.Background(), *urls)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	defer c.Close()
	var add func(a, b int) (int, error)
	if err := c.GetService("calc", "add", &add); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	n, err := add(20, 22)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plugin: add:", err)
		return 1
	}
	fmt.Println(n)
	return 0
}
