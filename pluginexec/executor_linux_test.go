package pluginexec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDescriptors(t *testing.T) {
	noLeftovers(t)
	dir := t.TempDir()
	files := make([]*os.File, 3)
	for i, name := range []string{"three", "four", "secret"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files[i] = f
	}
	p := newHelper(t, "fds", "fds:t")
	var out bytes.Buffer
	err := Exec(testContext(t), p, nil, WithExtraFiles(files[0]), WithExtraFiles(files[1]), WithStdout(&out))
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Three string            `json:"3"`
		Four  string            `json:"4"`
		Links map[string]string `json:"links"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if report.Three != "three" || report.Four != "four" {
		t.Errorf("fd 3 %q, fd 4 %q", report.Three, report.Four)
	}
	if !strings.HasPrefix(report.Links["3"], dir) {
		t.Errorf("fd 3 -> %q: the listing does not show extra files", report.Links["3"])
	}
	for fd, target := range report.Links {
		if strings.HasPrefix(target, dir) && fd != "3" && fd != "4" {
			t.Errorf("the plugin inherited fd %s -> %s", fd, target)
		}
	}
}

// TestParentDeathSignal kills a host (the test binary in host mode) with
// SIGKILL and checks that the plugin it was running dies with it.
func TestParentDeathSignal(t *testing.T) {
	noLeftovers(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := writeScript(t, t.TempDir(), "orphan", envCommands+"=stay:stay")
	host := exec.Command(exe, script)
	host.Env = append(os.Environ(), envHelper+"=host", "GORACE="+noExitSleep)
	host.Stderr = os.Stderr
	stdout, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer host.Wait()
	defer host.Process.Kill()
	pid := readyPID(t, stdout)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) }) // only if the test failed
	if err := host.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	deadline := time.Now().Add(10 * time.Second) // liveness watchdog
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin %d outlived its host", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readyPID reads the plugin's "ready PID" line.
func readyPID(t *testing.T, r interface{ Read([]byte) (int, error) }) int {
	t.Helper()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("no ready line: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "ready")))
	if err != nil {
		t.Fatalf("ready line %q: %v", line, err)
	}
	return pid
}

// alive reports whether pid is a process that is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	state, _, ok := parseStat(stat)
	return ok && state != "Z" && state != "X"
}
