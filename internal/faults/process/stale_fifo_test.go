//go:build linux

package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/registry"
)

// fifoHostMain is the test binary run as a host that binds a plugin with
// named pipes in $HOSTCALL_FAULTS_DIR/fifos and never returns: its
// executor, standing in for a plugin that has not opened its FIFOs yet,
// says "ready" and waits for the test to kill the host.
func fifoHostMain() int {
	dir := os.Getenv(dirEnv)
	fifos := filepath.Join(dir, "fifos")
	waiting := func(ctx context.Context, p *pluginexec.Process) error {
		if err := writeFileAtomic(filepath.Join(dir, "ready"), nil); err != nil {
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	plug, err := pluginexec.NewPlugin(context.Background(), exe, pluginEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "host:", err)
		return 1
	}
	err = pluginexec.Exec(context.Background(), pluginexec.IterateTyped(plug, "echo"), nil,
		pluginexec.WithExecutor(waiting), host.Bind(registry.New(), host.WithNamedPipes(fifos, fifos)))
	fmt.Fprintln(os.Stderr, "host: Exec returned, which it must not before the test kills the host:", err)
	return 1
}

// TestHostKilledLeavesNoFIFOsForGood kills a host process (SIGKILL) while
// its plugin's FIFOs wait to be opened: the FIFOs and their directory stay
// behind, and the next bind in the same directory removes them, and
// nothing that is not provably stale.
func TestHostKilledLeavesNoFIFOsForGood(t *testing.T) {
	checkLeaks(t)
	dir := t.TempDir()
	fifos := filepath.Join(dir, "fifos")
	if err := os.Mkdir(fifos, 0o755); err != nil {
		t.Fatal(err)
	}
	killedPid := killFIFOHost(t, dir)
	left := runDirs(t, fifos)
	if len(left) != 1 {
		t.Fatalf("the killed host left %v in its FIFO directory, want its one run directory", left)
	}
	stale := left[0]
	if fifosIn, _ := os.ReadDir(filepath.Join(fifos, stale)); len(fifosIn) != 2 {
		t.Fatalf("the killed host's run directory holds %d entries, want its two FIFOs", len(fifosIn))
	}

	// Directories to keep: a live process's (this one's, with its start
	// time read from the stale name's neighbours), names of other shapes,
	// another user's. And one to remove: this pid, another start time (a
	// reused pid).
	f := strings.Split(stale, "-") // hostcall, machine, pid, start, random
	if len(f) != 5 || f[2] != strconv.Itoa(killedPid) {
		t.Fatalf("the killed host's run directory is %q, want hostcall-<machine>-%d-<start>-<random>", stale, killedPid)
	}
	start := processStartTicks(t, os.Getpid())
	keep := []string{
		fmt.Sprintf("hostcall-%s-%d-%d-1", f[1], os.Getpid(), start),
		"hostcall-notours",
		fmt.Sprintf("hostcall-other.machine-%s-%s-1", f[2], f[3]),
	}
	reused := fmt.Sprintf("hostcall-%s-%d-%d-2", f[1], os.Getpid(), start+1)
	for _, d := range append(keep, reused) {
		if err := os.Mkdir(filepath.Join(fifos, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		other := fmt.Sprintf("hostcall-%s-%s-%s-3", f[1], f[2], f[3]) // stale, but not ours
		if err := os.Mkdir(filepath.Join(fifos, other), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(fifos, other), 65534, 65534); err != nil {
			t.Fatal(err)
		}
		keep = append(keep, other)
	}

	// The next bind: a run whose plugin exits at once.
	plug := testPlugin(t)
	err := pluginexec.Exec(context.Background(), pluginexec.IterateTyped(plug, "echo"), nil,
		pluginexec.WithExecutor(func(context.Context, *pluginexec.Process) error { return nil }),
		host.Bind(registry.New(), host.WithNamedPipes(fifos, fifos)))
	if err != nil {
		t.Fatal(err)
	}
	got := runDirs(t, fifos)
	if strings.Join(got, " ") != strings.Join(slices.Sorted(slices.Values(keep)), " ") {
		t.Errorf("after the next bind the directory holds %v, want exactly %v", got, slices.Sorted(slices.Values(keep)))
	}
	for _, d := range keep {
		os.Remove(filepath.Join(fifos, d))
	}
}

// killFIFOHost starts fifoHostMain, waits until its run's FIFOs are made,
// kills it with SIGKILL, waits for it and returns its pid.
func killFIFOHost(t *testing.T, dir string) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out hosttest.SyncBuffer
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), roleEnv+"=fifo-host", dirEnv+"="+dir, noRaceSleep)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			break
		}
		select {
		case <-done:
			t.Fatalf("the host process ended before its run started: %v\n%s", cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("watchdog: the host's run not started within 60s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	return cmd.Process.Pid
}

// runDirs lists dir, sorted.
func runDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// processStartTicks reads pid's start time from /proc/<pid>/stat.
func processStartTicks(t *testing.T, pid int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
