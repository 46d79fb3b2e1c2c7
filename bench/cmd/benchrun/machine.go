package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where the numbers were taken.
type Machine struct {
	Date     string            `json:"date"`
	CPU      string            `json:"cpu"`
	NumCPU   int               `json:"nproc"`
	MemTotal string            `json:"memTotal"`
	Kernel   string            `json:"kernel"`
	Go       string            `json:"go"`
	Commit   string            `json:"commit,omitempty"`
	Peers    map[string]string `json:"peers"`
}

func machineInfo(benchDir string) Machine {
	m := Machine{
		Date:   time.Now().UTC().Format("2006-01-02 15:04 MST"),
		NumCPU: runtime.NumCPU(),
		Go:     goVersion(benchDir),
		Peers:  peerVersions(filepath.Join(benchDir, "go.mod")),
	}
	m.CPU = procField("/proc/cpuinfo", "model name")
	m.MemTotal = procField("/proc/meminfo", "MemTotal")
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(m.MemTotal, " kB"), 64); err == nil {
		m.MemTotal = fmt.Sprintf("%.1f GiB", kb/(1<<20))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("git", "-C", benchDir, "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if out, err := exec.Command("git", "-C", filepath.Join(benchDir, ".."), "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench", ":!docs").Output(); err == nil && len(out) > 0 {
			m.Commit += " (with uncommitted changes to the library)"
		}
	}
	return m
}

// goVersion is the version of the go command that built the binaries.
func goVersion(dir string) string {
	cmd := exec.Command("go", "env", "GOVERSION")
	cmd.Dir = dir
	if out, err := cmd.Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return runtime.Version()
}

// procField returns the value of the first "key: value" line of path.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// peerVersions reads the peers' versions from the bench module's go.mod.
func peerVersions(gomod string) map[string]string {
	peers := map[string]string{
		"github.com/hashicorp/go-plugin": "go-plugin",
		"google.golang.org/grpc":         "grpc",
		"github.com/containerd/ttrpc":    "ttrpc",
		"google.golang.org/protobuf":     "protobuf",
	}
	out := map[string]string{}
	b, err := os.ReadFile(gomod)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			if name, ok := peers[f[0]]; ok {
				out[name] = f[1]
			}
		}
	}
	return out
}
