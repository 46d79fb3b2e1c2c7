package pluginexec

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the plugins and hosts the tests run: with
// envHelper set, TestMain runs a helper instead of the tests.
const (
	envHelper   = "PLUGINEXEC_HELPER"   // "plugin" or "host"
	envInfo     = "PLUGINEXEC_INFO"     // how info behaves (helperInfo)
	envName     = "PLUGINEXEC_NAME"     // the manifest's name
	envCommands = "PLUGINEXEC_COMMANDS" // "word word:type,word:type"
	envExit     = "PLUGINEXEC_EXIT"     // exit status of the exit command
	envLines    = "PLUGINEXEC_LINES"    // stderr lines of the exit command
)

// helperLife bounds how long a helper that waits for a signal lives, so
// that even a failing test leaves nothing running for long.
const helperLife = 30 * time.Second

func TestMain(m *testing.M) {
	switch os.Getenv(envHelper) {
	case "plugin":
		os.Exit(helperPlugin())
	case "host":
		os.Exit(helperHost())
	}
	code := m.Run()
	if kids := leftoverChildren(); len(kids) > 0 {
		fmt.Fprintf(os.Stderr, "processes left behind: %v\n", kids)
		code = 1
	}
	os.Exit(code)
}

// helperManifest is the manifest the helper plugin reports.
func helperManifest() Manifest {
	m := Manifest{Name: os.Getenv(envName), Version: "1.0.0", Tags: []string{"test"}}
	if m.Name == "" {
		m.Name = "helper"
	}
	spec := os.Getenv(envCommands)
	if spec == "" {
		spec = "argv:echo,scan dir:scanner"
	}
	for _, c := range strings.Split(spec, ",") {
		words, typ, _ := strings.Cut(c, ":")
		m.Commands = append(m.Commands, Command{Path: strings.Fields(words), Type: typ})
	}
	return m
}

func helperPlugin() int {
	if len(os.Args) > 1 && os.Args[1] == InfoCommand {
		return helperInfo(os.Getenv(envInfo))
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "helper: no command")
		return 2
	}
	return helperCommand(os.Args[1], os.Args[2:])
}

// helperInfo answers info in the way mode says.
func helperInfo(mode string) int {
	switch mode {
	case "", "good":
		ServeInfo(helperManifest())
	case "badjson":
		fmt.Println("this is not json")
	case "version":
		m := helperManifest()
		m.ManifestVersion = 99
		_ = json.NewEncoder(os.Stdout).Encode(m)
	case "empty":
	case "trailing":
		_ = WriteInfo(os.Stdout, helperManifest())
		fmt.Println("garbage")
	case "fail":
		fmt.Fprintln(os.Stderr, "warming up\ninfo broke")
		return 2
	case "hang":
		signal.Ignore(syscall.SIGTERM)
		fmt.Fprintln(os.Stderr, "hanging")
		time.Sleep(helperLife)
	}
	return 0
}

// helperCommand runs a command of the helper plugin.
func helperCommand(cmd string, rest []string) int {
	switch cmd {
	case "argv", "scan":
		_ = json.NewEncoder(os.Stdout).Encode(os.Args[1:])
	case "exit":
		return helperExit()
	case "stay", "stubborn":
		return helperStay(cmd == "stubborn")
	case "stdin":
		_, _ = io.Copy(io.Discard, os.Stdin)
	case "env":
		fmt.Println(os.Getenv(rest[len(rest)-1]))
	case "fds":
		return helperFDs()
	case "stderr":
		fmt.Fprint(os.Stderr, "hello\nworld")
	case "spawn":
		return helperSpawn(rest)
	case "ids":
		groups, err := os.Getgroups()
		fmt.Printf("uid %d gid %d groups %v%s\n", os.Getuid(), os.Getgid(), groups, errString(err))
	default:
		fmt.Fprintln(os.Stderr, "helper: unknown command", cmd)
		return 2
	}
	return 0
}

func helperExit() int {
	n, _ := strconv.Atoi(os.Getenv(envLines))
	for i := 1; i <= n; i++ {
		fmt.Fprintf(os.Stderr, "line %d\n", i)
	}
	code, _ := strconv.Atoi(os.Getenv(envExit))
	return code
}

// helperStay says "ready" with its pid once its signal disposition is set,
// then waits to be stopped.
func helperStay(ignoreTerm bool) int {
	if ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	}
	fmt.Printf("ready %d\n", os.Getpid())
	time.Sleep(helperLife)
	return 0
}

// helperSpawn starts the helper's rest[0] command (stay or stubborn) as a
// grandchild that shares its stderr, waits until the grandchild is ready,
// prints "grandchild PID" and exits 0, leaving it running; with rest[1] ==
// "stay" it then stays itself, like the stay command.
func helperSpawn(rest []string) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	gc := exec.Command(exe, rest[0])
	gc.Stderr = os.Stderr
	out, err := gc.StdoutPipe()
	if err == nil {
		err = gc.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper: starting the grandchild:", err)
		return 1
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper: the grandchild did not say ready:", err)
		return 1
	}
	fmt.Printf("grandchild %s\n", strings.TrimSpace(strings.TrimPrefix(line, "ready")))
	if len(rest) > 1 && rest[1] == "stay" {
		return helperStay(false)
	}
	return 0
}

// helperFDs reports the content of descriptors 3 and 4 and every open
// descriptor with what it refers to.
func helperFDs() int {
	links := map[string]string{}
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		links[e.Name()], _ = os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
	}
	report := map[string]any{"links": links}
	for _, fd := range []uintptr{3, 4} {
		b, err := io.ReadAll(os.NewFile(fd, "extra"))
		report[fmt.Sprint(fd)] = string(b) + errString(err)
	}
	_ = json.NewEncoder(os.Stdout).Encode(report)
	return 0
}

func errString(err error) string {
	if err != nil {
		return " error: " + err.Error()
	}
	return ""
}

// helperHost discovers the helper plugin at os.Args[1] and runs its stay
// command, whose stdout (its pid) is the host's: a host for the
// parent-death test, which kills it.
func helperHost() int {
	ctx := context.Background()
	p, err := NewPlugin(ctx, os.Args[1])
	if err == nil {
		err = Exec(ctx, IterateTyped(p, "stay"), nil)
	}
	fmt.Fprintln(os.Stderr, "host:", err)
	return 1
}
