package host_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

// pluginEnv makes the test binary act as a plugin (the re-exec helper
// process pattern).
const pluginEnv = "HOSTCALL_HOST_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) == "1" {
		os.Exit(pluginMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// testManifest lists the plugin's commands, each with its own type so a test
// can run one with IterateTyped.
var testManifest = pluginexec.Manifest{
	Name:    "hosttest",
	Version: "1.0.0",
	Commands: []pluginexec.Command{
		{Path: []string{"add"}, Type: "add"},
		{Path: []string{"fds"}, Type: "fds"},
		{Path: []string{"crash"}, Type: "crash"},
		{Path: []string{"many"}, Type: "many"},
		{Path: []string{"reach", "a"}, Type: "reach-a"},
		{Path: []string{"reach", "b"}, Type: "reach-b"},
		{Path: []string{"perms"}, Type: "perms"},
	},
}

// pluginMain is the plugin: "info" prints the manifest; the commands call
// the host and report on stdout.
func pluginMain(args []string) int {
	if len(args) > 0 && args[0] == "info" {
		if err := pluginexec.WriteInfo(os.Stdout, testManifest); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	fs := pflag.NewFlagSet("plugin", pflag.ContinueOnError)
	service.AddHostFlags(fs)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 2
	}
	switch fs.Arg(0) {
	case "fds":
		// Before connecting: what the plugin inherited.
		fmt.Println(strings.Join(openFDs(), " "))
	case "perms":
		// The modes of the host's files and of their directory, as this
		// plugin sees them.
		fmt.Println(strings.Join(hostFileModes(args), " "))
	}
	if err := service.InitServiceClient(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "plugin:", err)
		return 1
	}
	var add func(a, b int) (int, error)
	service.GetService("calc", "add", &add)
	switch fs.Arg(0) {
	case "add", "fds":
		n, err := add(20, 22)
		if err != nil {
			fmt.Fprintln(os.Stderr, "plugin: add:", err)
			return 1
		}
		fmt.Println(n)
	case "many":
		// Concurrent calls, each checked.
		var wg sync.WaitGroup
		var mu sync.Mutex
		bad := 0
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 200; i++ {
					if n, err := add(g, i); err != nil || n != g+i {
						mu.Lock()
						bad++
						mu.Unlock()
					}
				}
			}(g)
		}
		wg.Wait()
		fmt.Println("bad", bad)
	case "reach":
		// Which namespaces this plugin can use, and what calling into each
		// gives.
		var line strings.Builder
		for _, ns := range []string{"shared", "only-a", "only-b"} {
			var who func() (string, error)
			service.GetService(ns, "who", &who)
			s, err := who()
			switch {
			case err == nil:
				fmt.Fprintf(&line, "%s=%s ", ns, s)
			case errors.Is(err, service.ErrUnknownNamespace):
				fmt.Fprintf(&line, "%s=unknown ", ns)
			default:
				fmt.Fprintf(&line, "%s=error:%v ", ns, err)
			}
		}
		fmt.Println(line.String())
	case "perms":
	case "crash":
		var wait func(context.Context) error
		service.GetService("calc", "wait", &wait)
		go wait(context.Background())
		n, _ := add(1, 1) // the wait call is in flight by now
		fmt.Fprintln(os.Stderr, "plugin: crashing after", n)
		os.Exit(3)
	default:
		fmt.Fprintf(os.Stderr, "plugin: unknown command %q\n", fs.Arg(0))
		return 2
	}
	return 0
}

// hostFileModes returns "mode:path" for the files named by --host-file in
// args and their directory.
func hostFileModes(args []string) []string {
	var out []string
	for i, a := range args {
		if a != "--host-file" || i+1 == len(args) {
			continue
		}
		u, err := url.Parse(args[i+1])
		if err != nil {
			continue
		}
		for _, p := range []string{u.Path, filepath.Dir(u.Path)} {
			fi, err := os.Stat(p)
			if err != nil {
				out = append(out, "error:"+err.Error())
				continue
			}
			out = append(out, fmt.Sprintf("%v:%s", fi.Mode(), filepath.Base(p)))
		}
	}
	return out
}

// openFDs lists the plugin's open descriptors, without the
// one reading the listing and those its own Go runtime opened (cgroup files
// read for GOMAXPROCS).
func openFDs() []string {
	dir := "/proc/self/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return []string{"error:" + err.Error()}
	}
	var out []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil || strings.HasPrefix(target, "/sys/fs/cgroup/") {
			// closed since (the listing's own descriptor), or opened by
			// this process's Go runtime (cgroup limits for GOMAXPROCS)
			continue
		}
		out = append(out, n)
	}
	sort.Ints(out)
	s := make([]string, len(out))
	for i, n := range out {
		s[i] = strconv.Itoa(n)
	}
	return s
}
