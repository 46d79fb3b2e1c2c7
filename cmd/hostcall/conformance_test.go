package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostcall/hostcall/hostcalltest"
)

// The kit, from this package's directory.
const testKit = "../../testdata/conformance"

// raceEnv spares race-enabled drivers the race detector's 1 s sleep at
// exit; a race still makes them exit with status 66, failing the case.
var raceEnv = "GORACE=atexit_sleep_ms=0"

// drivers builds the Go drivers once, with -race when the tests are.
var drivers = sync.OnceValues(func() (map[string]string, error) {
	out := map[string]string{}
	for _, name := range []string{"go-host", "go-client"} {
		path := filepath.Join(filepath.Dir(bin), name)
		args := []string{"build", "-o", path}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "../../testdata/conformance/drivers/"+name)
		if b, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			return nil, &buildError{name, err, b}
		}
		out[name] = path
	}
	return out, nil
})

type buildError struct {
	name string
	err  error
	out  []byte
}

func (e *buildError) Error() string {
	return "go build " + e.name + ": " + e.err.Error() + "\n" + string(e.out)
}

func goDriver(t *testing.T, name string) string {
	t.Helper()
	d, err := drivers()
	if err != nil {
		t.Fatal(err)
	}
	return d[name]
}

// kitCases lists the case files of the kit for peer.
func kitCases(t *testing.T, peer string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testKit, peer, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s cases in %s: %v", peer, testKit, err)
	}
	var names []string
	for _, f := range files {
		names = append(names, peer+"/"+filepath.Base(f))
	}
	return names
}

var caseLine = regexp.MustCompile(`^(ok|FAIL|skip) +(\S+?)(:|$)`)

// report is what the runner printed: the cases by outcome.
type report map[string][]string

func parseReport(out string) report {
	r := report{}
	for _, l := range strings.Split(out, "\n") {
		if m := caseLine.FindStringSubmatch(l); m != nil {
			r[m[1]] = append(r[m[1]], m[2])
		}
	}
	return r
}

// TestConformance runs the kit, with the hostcall binary, against the Go
// host, the Go client and the Python client, as real processes; each must
// pass every case but those it is known to skip.
func TestConformance(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	py, pyErr := exec.LookPath("python3")
	for _, tc := range []struct {
		name, peer string
		command    []string
		env        []string
		skips      []string // the cases it lacks a feature for
	}{
		{name: "go host", peer: "host", command: []string{goDriver(t, "go-host")}, env: []string{raceEnv}},
		{name: "go client", peer: "client", command: []string{goDriver(t, "go-client")}, env: []string{raceEnv}},
		// The Python package does not serve functions yet.
		{name: "python client", peer: "client", command: []string{py, "../../testdata/conformance/drivers/python/driver.py"},
			env: []string{"PYTHONPATH=../../python", "PYTHONDONTWRITEBYTECODE=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.command[0] == "" {
				t.Skipf("the Python client's run needs python3, which is not on PATH (%v; .ci/run installs it)", pyErr)
			}
			args := append([]string{"conformance", tc.peer, "--kit", testKit, "--"}, tc.command...)
			start := time.Now()
			r := runBin(t, tc.env, args...)
			t.Logf("%v\n%s", time.Since(start).Round(time.Millisecond), r.stdout)
			got := parseReport(r.stdout)
			want := slices.DeleteFunc(kitCases(t, tc.peer), func(c string) bool { return slices.Contains(tc.skips, c) })
			if r.status != 0 || len(got["FAIL"]) > 0 || !slices.Equal(got["ok"], want) || !slices.Equal(got["skip"], tc.skips) {
				t.Errorf("hostcall %s: status %d; passed %v, want %v; skipped %v, want %v; failed %v\n%s%s",
					strings.Join(args, " "), r.status, got["ok"], want, got["skip"], tc.skips, got["FAIL"], r.stdout, r.stderr)
			}
		})
	}
}

// runKit runs the runner in-process on the cases of a kit made of cases
// (file name to content), against command.
func runKit(t *testing.T, peer string, cases map[string]string, command ...string) (report, string, int) {
	t.Helper()
	t.Setenv("GORACE", strings.TrimPrefix(raceEnv, "GORACE=")) // for the drivers the runner starts
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, peer), 0o755)
	for name, text := range cases {
		if err := os.WriteFile(filepath.Join(dir, peer, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut strings.Builder
	args := append([]string{peer, "--kit", dir, "--timeout", "5s", "--"}, command...)
	status := conformanceCmd(args, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return parseReport(out.String()), out.String(), status
}

// The runner fails what differs, with the line and the difference, and
// skips what a host lacks.
func TestConformanceHostFailures(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	hello := `> {"sequence":1,"type":"hello","args":{"protocol":2,"features":["cancel"]}}
< {"sequence":1,"reply":{"protocol":2,"features":"*","maxFrame":4096}}
`
	add := `> {"sequence":2,"type":"call","namespace":"calc","name":"add","args":[1,2]}
`
	cases := map[string]string{
		"ok.txt":         hello + add + "< {\"sequence\":2,\"reply\":[3.0]}\n! eof\n! end\n",
		"wrong.txt":      hello + add + "< {\"sequence\":2,\"reply\":[4]}\n",
		"missing.txt":    hello + add + "! eof\n! end\n",
		"extra.txt":      hello + add + "< {\"sequence\":2,\"reply\":[3],\"code\":\"*\"}\n",
		"status.txt":     hello + "! eof\n! end error\n",
		"streams.txt":    hello + "! requires cancel telepathy\n" + add,
		"nonsense.txt":   "! frobnicate\n",
		"unbound.txt":    "> {\"sequence\":\"$x\",\"type\":\"hasNamespace\",\"namespace\":\"calc\"}\n",
		"badpattern.txt": hello + add + "< {\"sequence\":2,\"reply\":[3]\n",
	}
	r, out, status := runKit(t, "host", cases, goDriver(t, "go-host"))
	if status != exitFailed {
		t.Errorf("status %d, want %d", status, exitFailed)
	}
	if !slices.Equal(r["ok"], []string{"host/ok.txt"}) || !slices.Equal(r["skip"], []string{"host/streams.txt"}) || len(r["FAIL"]) != len(cases)-2 {
		t.Errorf("outcomes %v\n%s", r, out)
	}
	for _, want := range []string{
		"FAIL  host/wrong.txt: line 4: reply[0]: got 3, want 4",
		"FAIL  host/missing.txt: line 5: an unexpected frame: {\"sequence\":2,\"reply\":[3]}",
		"FAIL  host/extra.txt: line 4: frame: no member \"code\"",
		"FAIL  host/status.txt: line 4: the host exited with status 0, want a failure",
		"skip  host/streams.txt: the host's hello does not list telepathy",
		"FAIL  host/nonsense.txt: line 1: unknown directive",
		"FAIL  host/unbound.txt: line 1: $x is not bound",
		"FAIL  host/badpattern.txt: line 4: the case's line is not JSON",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the runner's report lacks %q:\n%s", want, out)
		}
	}
}

// A host that breaks the sender rules of PROTOCOL.md section 2 fails,
// whatever the JSON values it writes: here a shell script answering one
// call, in the styles of protocol 1 peers.
func TestConformanceSenderRules(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	if runtime.GOOS == "windows" {
		t.Skip("the fake hosts are sh scripts")
	}
	kase := map[string]string{"add.txt": `> {"sequence":1,"type":"call","namespace":"calc","name":"add","args":[1,2]}
< {"sequence":1,"reply":[3]}
`}
	for answer, want := range map[string]string{
		`{"sequence":1,"reply":[3]}\n`:        "ok    host/add.txt",
		`{"sequence": 1, "reply": [3]}\n`:     "not in compact form",
		`{"reply":[3],"sequence":1}\n`:        "sequence is not the first member",
		`{"sequence":1,"reply":[3]}`:          "the stream ended inside a frame, or a frame without its newline",
		`{"sequence":1,"reply":[3]}{"a":1}\n`: "not one JSON object on its line",
	} {
		script := `read line; printf '` + answer + `'` // then exits: its stream ends
		_, out, _ := runKit(t, "host", kase, "sh", "-c", script)
		if !strings.Contains(out, want) {
			t.Errorf("a host answering %s: want %q in the report:\n%s", answer, want, out)
		}
	}
}

// Client cases fail on a wrong result, a wrong frame or a variable bound
// to another value, and skip what the driver cannot do.
func TestConformanceClientFailures(t *testing.T) {
	hostcalltest.CheckLeaks(t)
	hello := `> {"sequence":"$hello","type":"hello","args":{"protocol":2,"features":"*","maxFrame":"*"}}
< {"sequence":"$hello","reply":{"protocol":2,"features":["cancel"],"maxFrame":67108864}}
! do {"id":1,"op":"call","namespace":"calc","name":"add","args":[1,2]}
> {"sequence":"$add","type":"call","namespace":"calc","name":"add","args":[1,2]}
`
	cases := map[string]string{
		"ok.txt":          hello + "< {\"sequence\":\"$add\",\"reply\":[3]}\n! expect {\"id\":1,\"result\":[3]}\n",
		"result.txt":      hello + "< {\"sequence\":\"$add\",\"reply\":[3]}\n! expect {\"id\":1,\"result\":[4]}\n",
		"unexpected.txt":  hello + "< {\"sequence\":\"$add\",\"reply\":[3]}\n",
		"frame.txt":       hello + "! do {\"id\":2,\"op\":\"call\",\"namespace\":\"calc\",\"name\":\"add\",\"args\":[5]}\n> {\"sequence\":\"$add2\",\"type\":\"call\",\"namespace\":\"calc\",\"name\":\"add\",\"args\":[6]}\n",
		"rebound.txt":     hello + "! do {\"id\":2,\"op\":\"call\",\"namespace\":\"calc\",\"name\":\"add\",\"args\":[1,2]}\n> {\"sequence\":\"$add\",\"type\":\"call\",\"namespace\":\"calc\",\"name\":\"add\",\"args\":[1,2]}\n",
		"unsupported.txt": hello + "! do {\"id\":2,\"op\":\"frobnicate\"}\n! expect {\"id\":2,\"result\":null}\n",
		"blobs.txt":       hello + "! requires blobs telepathy\n",
	}
	r, out, _ := runKit(t, "client", cases, goDriver(t, "go-client"))
	if !slices.Equal(r["ok"], []string{"client/ok.txt"}) || !slices.Equal(r["skip"], []string{"client/blobs.txt", "client/unsupported.txt"}) {
		t.Errorf("outcomes %v\n%s", r, out)
	}
	for _, want := range []string{
		"FAIL  client/result.txt: line 6: the driver's result: result[0]: got 3, want 4",
		"FAIL  client/unexpected.txt: line 5: a result the case does not expect: ", // [3], or closed if the driver closed first
		"FAIL  client/frame.txt: line 6: args[0]: got 5, want 6",
		"FAIL  client/rebound.txt: line 6: sequence: got 3, want 2 ($add)",
		"skip  client/unsupported.txt: the client driver does not support an operation: unsupported: op frobnicate",
		"skip  client/blobs.txt: the client's hello does not list telepathy",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the runner's report lacks %q:\n%s", want, out)
		}
	}
}

func TestConformanceUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"server", "x"}, {"host"}, {"host", "--run", "(", "x"}, {"host", "--kit", t.TempDir(), "x"}} {
		var out, errOut strings.Builder
		if status := conformanceCmd(args, &out, &errOut); status != exitUsage {
			t.Errorf("hostcall conformance %q: status %d, want %d; stderr %s", args, status, exitUsage, errOut.String())
		}
	}
}
