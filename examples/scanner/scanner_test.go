package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
	"github.com/hostcall/hostcall/host"
	"github.com/hostcall/hostcall/hostcalltest"
	"github.com/hostcall/hostcall/internal/hosttest"
	"github.com/hostcall/hostcall/registry"
	"github.com/hostcall/hostcall/service"
)

// The plugins are built once, by the host's own buildPlugins, into a
// directory TestMain removes.
var built struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// pluginDir returns the directory of the built plugins.
func pluginDir(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "scanner-test-plugins-")
		if built.err == nil {
			built.err = buildPlugins(context.Background(), built.dir)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

// wantFindings are the problems planted in testdata/target, as
// "plugin rule path:line severity".
var wantFindings = []string{
	"hygiene trailing-whitespace README.md:3 info",
	"hygiene todo README.md:6 info",
	"secrets aws-access-key config/aws-credentials:2 high",
	"secrets high-entropy-token config/aws-credentials:3 medium",
	"secrets password-assignment config/settings.ini:4 medium",
	"hygiene large-file data/stock.csv low",
	"hygiene crlf-line-endings docs/windows.txt:1 low",
	"secrets private-key keys/deploy_key.pem:1 high",
	"hygiene missing-shebang scripts/deploy.sh:1 low",
	"secrets high-entropy-token src/main.go:9 medium",
	"hygiene todo src/main.go:13 info",
	"hygiene todo src/main.go:14 info",
}

func summarize(fs []scanapi.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s %s %s %s", f.Plugin, f.Rule, location(f), f.Severity)
	}
	return out
}

// bindings are the transports the scan is run over.
func bindings(t *testing.T) map[string]host.BindOption {
	b := map[string]host.BindOption{"inherited": host.WithInheritedPipes()}
	if runtime.GOOS == "linux" {
		b["procfs"] = host.WithAnonymousPipe()
	}
	if opt, release, err := namedPipes(); err == nil {
		t.Cleanup(release)
		b["named"] = opt
	}
	return b
}

func TestScanFindsWhatIsPlanted(t *testing.T) {
	dir := pluginDir(t)
	for name, bind := range bindings(t) {
		t.Run(name, func(t *testing.T) {
			hosttest.CheckGoroutines(t)
			var log hosttest.SyncBuffer
			r, err := scan(context.Background(), config{
				target: sample(), targetName: sampleName, pluginDir: dir, parallel: 2,
				bind: []host.BindOption{bind}, log: &log,
			})
			if err != nil {
				t.Fatalf("scan: %v\nlog:\n%s", err, log.String())
			}
			if diff := cmp.Diff(wantFindings, summarize(r.findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"hygiene", "secrets"}, r.plugins); diff != "" {
				t.Errorf("plugins (-want +got):\n%s", diff)
			}
			for _, f := range r.findings {
				for _, secret := range []string{"hunter2", "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "9fK2qLmZx7RtY4vBn6"} {
					if strings.Contains(f.Message, secret) {
						t.Errorf("finding %+v shows the secret %q", f, secret)
					}
				}
			}
			// The plugins' slog records, each line prefixed by its plugin.
			for _, line := range []string{"secrets: scanned files=9 findings=5\n", "hygiene: scanned files=9 findings=7\n"} {
				if !strings.Contains(log.String(), line) {
					t.Errorf("the host's log lacks %q; it is:\n%s", line, log.String())
				}
			}
			if n := strings.Count(log.String(), "\n"); n != 2 || strings.Contains(log.String(), "source=stderr") {
				t.Errorf("the log has %d lines, want the 2 records and nothing from stderr:\n%s", n, log.String())
			}
		})
	}
}

func TestScanReportsAFailedPluginAndKeepsTheOthersFindings(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the failing plugin is a shell script")
	}
	hosttest.CheckGoroutines(t)
	dir := t.TempDir()
	for _, name := range []string{"secrets", "hygiene"} {
		if err := os.Symlink(filepath.Join(pluginDir(t), name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	broken := `#!/bin/sh
case "$1" in
info) echo '{"manifestVersion":1,"name":"broken","version":"0.1.0","commands":[{"path":["scan"],"type":"scanner"}]}' ;;
*)    echo "broken: cannot scan" >&2; exit 3 ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "broken"), []byte(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	var log hosttest.SyncBuffer
	r, err := scan(context.Background(), config{
		target: sample(), targetName: sampleName, pluginDir: dir, parallel: 3,
		log: &log,
	})
	if err == nil || !strings.Contains(err.Error(), "broken [scan]: exit status 3") || !strings.Contains(err.Error(), "broken: cannot scan") {
		t.Errorf("scan returned %v; want the broken plugin's exit status and stderr", err)
	}
	if !strings.Contains(log.String(), "broken: broken: cannot scan source=stderr\n") {
		t.Errorf("the broken plugin's stderr line is not in the log:\n%s", log.String())
	}
	if strings.Contains(fmt.Sprint(err), "secrets") || strings.Contains(fmt.Sprint(err), "hygiene") {
		t.Errorf("the working plugins are reported as failed: %v", err)
	}
	if r == nil {
		t.Fatal("no result")
	}
	if diff := cmp.Diff(wantFindings, summarize(r.findings)); diff != "" {
		t.Errorf("findings of the working plugins (-want +got):\n%s", diff)
	}
}

var summaryLine = regexp.MustCompile(`^12 findings from 2 plugins in \d+ms$`)

// TestCLI runs the command as a user would, over the embedded sample and
// over the same tree on disk, which must give the same table.
func TestCLI(t *testing.T) {
	dir := pluginDir(t)
	var tables []string
	for _, args := range [][]string{
		{"--plugins", dir, "--fail-on-findings"},
		{"--plugins", dir, "--fail-on-findings", "--parallel", "1", "testdata/target"},
	} {
		var stdout, stderr hosttest.SyncBuffer
		if code := cli(context.Background(), args, &stdout, &stderr); code != exitFindings {
			t.Fatalf("scanner %q exited %d, want %d; stderr:\n%s", args, code, exitFindings, stderr.String())
		}
		lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
		if len(lines) != 1+len(wantFindings)+1 ||
			!regexp.MustCompile(`^SEVERITY +RULE +LOCATION +PLUGIN +MESSAGE$`).MatchString(lines[0]) ||
			!summaryLine.MatchString(lines[len(lines)-1]) {
			t.Fatalf("scanner %q printed:\n%s\nwant a header, %d rows and a summary", args, stdout.String(), len(wantFindings))
		}
		tables = append(tables, strings.Join(lines[:len(lines)-1], "\n"))
	}
	if tables[0] != tables[1] {
		t.Errorf("the sample and the same tree on disk give different tables:\n%s\n\n%s", tables[0], tables[1])
	}
	want := "high      private-key          keys/deploy_key.pem:1     secrets  RSA private key"
	if !strings.Contains(tables[0], want+"\n") {
		t.Errorf("the table lacks the row\n%s\nit is:\n%s", want, tables[0])
	}
}

// TestCLIBuildsThePlugins is the README's command: no flags, the plugins
// built by the host itself.
func TestCLIBuildsThePlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugins")
	}
	var stdout, stderr hosttest.SyncBuffer
	if code := cli(context.Background(), nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("scanner exited %d, want 0; stderr:\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if !summaryLine.MatchString(lines[len(lines)-1]) {
		t.Errorf("scanner printed:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "scanner: built the plugins in ") {
		t.Errorf("stderr does not say the plugins were built:\n%s", stderr.String())
	}
}

func TestCLIErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--bind", "carrier-pigeon"}, exitUsage, `--bind "carrier-pigeon": want procfs, inherited or named`},
		{[]string{"a", "b"}, exitUsage, `one directory to scan at most`},
		{[]string{"--no-such-flag"}, exitUsage, `unknown flag: --no-such-flag`},
		{[]string{"--plugins", t.TempDir()}, exitFailed, `has a command of type "scanner"`},
		{[]string{"--plugins", t.TempDir(), filepath.Join(t.TempDir(), "missing")}, exitFailed, `target: open`},
	}
	for _, tc := range cases {
		var stdout, stderr hosttest.SyncBuffer
		code := cli(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) || stdout.String() != "" {
			t.Errorf("scanner %q exited %d, printed %q, stderr:\n%s\nwant exit %d, nothing printed, stderr with %q",
				tc.args, code, stdout.String(), stderr.String(), tc.code, tc.want)
		}
	}
}

// connect serves reg in-process and returns a client on it, as a plugin
// bound to reg would have.
func connect(t *testing.T, reg *registry.Registry) *service.Client {
	t.Helper()
	hostcalltest.CheckLeaks(t)
	return hostcalltest.NewClient(t, reg)
}

// pluginView is what the plugin called name sees of a session on fsys.
func pluginView(t *testing.T, fsys config, name string) (*session, *service.Client) {
	t.Helper()
	s, err := newSession(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	return s, connect(t, s.layer(name))
}

func TestPluginCannotReportAsAnother(t *testing.T) {
	s, c := pluginView(t, config{target: sample(), targetName: sampleName, log: &hosttest.SyncBuffer{}}, "hygiene")
	var report func(scanapi.Finding) error
	if err := c.GetService(scanapi.FindingsNamespace, "report", &report); err != nil {
		t.Fatal(err)
	}
	ok := scanapi.Finding{Rule: "r", Path: "README.md", Line: 1, Severity: scanapi.Low, Message: "m"}
	impostor := ok
	impostor.Plugin = "secrets"
	err := report(impostor)
	if !errors.Is(err, service.ErrServiceError) || !strings.Contains(err.Error(), `plugin "hygiene" cannot report as "secrets"`) {
		t.Errorf("reporting as another plugin returned %v", err)
	}
	for _, bad := range []struct {
		edit func(*scanapi.Finding)
		want string
	}{
		{func(f *scanapi.Finding) { f.Severity = "urgent" }, `severity "urgent"`},
		{func(f *scanapi.Finding) { f.Rule = "" }, `empty rule`},
		{func(f *scanapi.Finding) { f.Line = -1 }, `line -1`},
		{func(f *scanapi.Finding) { f.Path = "no/such/file" }, `"no/such/file": file does not exist`},
		{func(f *scanapi.Finding) { f.Path = "config" }, `not a regular file`},
		{func(f *scanapi.Finding) { f.Path = "../main.go" }, `invalid path`},
	} {
		f := ok
		bad.edit(&f)
		if err := report(f); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("reporting %+v returned %v, want an error with %q", f, err, bad.want)
		}
	}
	self := ok
	self.Plugin = "hygiene"
	if err := errors.Join(report(ok), report(self)); err != nil {
		t.Fatal(err)
	}
	want := []string{"hygiene r README.md:1 low", "hygiene r README.md:1 low"}
	if diff := cmp.Diff(want, summarize(s.findings.sorted())); diff != "" {
		t.Errorf("kept findings (-want +got):\n%s", diff)
	}
}

// The log lines name the plugin, leave out the run's other attributes,
// show groups as dotted keys and a crash's stack on lines of their own.
func TestLogLines(t *testing.T) {
	var out hosttest.SyncBuffer
	l := slog.New(newLineHandler(&out, slog.LevelInfo))
	l.Info("built", "took", 2*time.Second)
	run := l.With("plugin", "secrets", "command", "scan", "pid", 42)
	run.Debug("hidden")
	run.Warn("skipping", "path", "a b.txt", "err", errors.New("too large"))
	run.WithGroup("g").With("x", 1).Info("grouped", slog.Group("h", "y", ""))
	run.Error("panic: boom", "source", "stderr", "stack", "goroutine 1 [running]:\nmain.main()")
	want := "scanner: built took=2s\n" +
		"secrets: warn: skipping path=\"a b.txt\" err=\"too large\"\n" +
		"secrets: grouped g.x=1 g.h.y=\"\"\n" +
		"secrets: error: panic: boom source=stderr\n" +
		"    goroutine 1 [running]:\n" +
		"    main.main()\n"
	if out.String() != want {
		t.Errorf("logged:\n%s\nwant:\n%s", out.String(), want)
	}
}

// targetServices are the target namespace as a plugin consumes it.
type targetServices struct {
	list      func() ([]scanapi.Entry, error)
	stat      func(string) (scanapi.Entry, error)
	read      func(string) ([]byte, error)
	readRange func(string, int64, int64) ([]byte, error)
}

func targetOf(t *testing.T, c *service.Client) *targetServices {
	t.Helper()
	var ts targetServices
	if err := errors.Join(
		c.GetService(scanapi.TargetNamespace, "list", &ts.list),
		c.GetService(scanapi.TargetNamespace, "stat", &ts.stat),
		c.GetService(scanapi.TargetNamespace, "read", &ts.read),
		c.GetService(scanapi.TargetNamespace, "readRange", &ts.readRange),
	); err != nil {
		t.Fatal(err)
	}
	return &ts
}

func TestTargetServesTheTree(t *testing.T) {
	_, c := pluginView(t, config{target: sample(), targetName: sampleName, maxRead: 4096}, "p")
	ts := targetOf(t, c)

	var m scanapi.TargetManifest
	if err := c.GetManifest(context.Background(), scanapi.TargetNamespace, &m); err != nil {
		t.Fatal(err)
	}
	if want := (scanapi.TargetManifest{Root: sampleName, Files: 9, MaxRead: 4096}); m != want {
		t.Errorf("manifest %+v, want %+v", m, want)
	}
	files, err := ts.list()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
		if f.Size <= 0 || !f.Mode.IsRegular() {
			t.Errorf("list: %+v, want a regular file with a size", f)
		}
	}
	wantPaths := []string{"README.md", "config/aws-credentials", "config/settings.ini", "data/stock.csv",
		"docs/windows.txt", "keys/deploy_key.pem", "scripts/build.sh", "scripts/deploy.sh", "src/main.go"}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}

	b, err := ts.read("config/settings.ini")
	if err != nil || !bytes.HasPrefix(b, []byte("[database]\n")) {
		t.Errorf("read: %q, %v", b, err)
	}
	if _, err := ts.read("data/stock.csv"); err == nil || !strings.Contains(err.Error(), "more than read returns (4096): use readRange") {
		t.Errorf("read of a file larger than maxRead: %v", err)
	}
	b, err = ts.readRange("data/stock.csv", 4, 8)
	if err != nil || string(b) != "item,qua" {
		t.Errorf("readRange: %q, %v", b, err)
	}
	b, err = ts.readRange("scripts/build.sh", 40, 100)
	if err != nil || string(b) != "ntory ./src\n" {
		t.Errorf("readRange across the end: %q, %v", b, err)
	}
	if _, err := ts.readRange("scripts/build.sh", 0, 4097); err == nil || !strings.Contains(err.Error(), "length 4097") {
		t.Errorf("readRange of more than maxRead: %v", err)
	}
	e, err := ts.stat("config")
	if err != nil || !e.Mode.IsDir() {
		t.Errorf("stat of a directory: %+v, %v", e, err)
	}
	if _, err := ts.read("config"); err == nil || !strings.Contains(err.Error(), `target: read "config": not a regular file`) {
		t.Errorf("read of a directory: %v", err)
	}
}

func TestTargetRefusesPathsOutsideTheRoot(t *testing.T) {
	// A tree on disk holding a symbolic link that leads out of it.
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "inside"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "escape")); err != nil {
		t.Skipf("cannot make a symbolic link: %v", err)
	}
	fsys, name, closeTarget, err := openTarget(root)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTarget()
	_, c := pluginView(t, config{target: fsys, targetName: name}, "p")
	ts := targetOf(t, c)

	files, err := ts.list()
	if err != nil || len(files) != 1 || files[0].Path != "inside" {
		t.Errorf("list: %+v, %v; want the one regular file", files, err)
	}
	for _, p := range []string{"../" + filepath.Base(outside) + "/secret", "/etc/passwd", "a/../inside", "./inside", ""} {
		want := fmt.Sprintf(`target: read %q: invalid path`, p)
		if b, err := ts.read(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("read(%q): %q, %v; want an error with %q", p, b, err, want)
		}
		if _, err := ts.stat(p); err == nil || !strings.Contains(err.Error(), "invalid path") {
			t.Errorf("stat(%q): %v; want an invalid path", p, err)
		}
		if _, err := ts.readRange(p, 0, 1); err == nil || !strings.Contains(err.Error(), "invalid path") {
			t.Errorf("readRange(%q): %v; want an invalid path", p, err)
		}
	}
	if b, err := ts.read("escape"); err == nil || !strings.Contains(err.Error(), `target: read "escape": `) {
		t.Errorf("read through a link leading out of the root: %q, %v; want an error", b, err)
	}
	if b, err := ts.read("inside"); err != nil || string(b) != "inside" {
		t.Errorf("read(inside): %q, %v", b, err)
	}
}

func TestTable(t *testing.T) {
	var out bytes.Buffer
	err := writeTable(&out, &result{
		findings: []scanapi.Finding{
			{Plugin: "a", Rule: "long-rule-name", Path: "x/y.txt", Line: 12, Severity: scanapi.High, Message: "tab\there,\nnewline"},
			{Plugin: "bb", Rule: "r", Path: "z", Severity: scanapi.Info, Message: "whole file"},
		},
		plugins: []string{"a", "bb"},
		elapsed: 1500 * time.Microsecond,
	})
	want := "" +
		"SEVERITY  RULE            LOCATION    PLUGIN  MESSAGE\n" +
		"high      long-rule-name  x/y.txt:12  a       tab here, newline\n" +
		"info      r               z           bb      whole file\n" +
		"2 findings from 2 plugins in 1ms\n"
	if err != nil || out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	writeTable(&out, &result{plugins: []string{"a"}})
	if out.String() != "0 findings from 1 plugin in 0ms\n" {
		t.Errorf("empty table: %q", out.String())
	}
}
