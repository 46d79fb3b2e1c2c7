// Command hygiene is a scanner plugin that reports untidiness: TODO and
// FIXME notes, large files, CRLF line endings, trailing whitespace and
// shell scripts without a shebang line.
//
// It opens no file: it lists and reads the target through the host's target
// namespace and reports to the host's findings namespace. It logs with
// log/slog, through service.LogHandler: its records reach the host's
// logger. Run it from the scanner host; `hygiene info` prints its
// manifest.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

var manifest = pluginexec.Manifest{
	Name:        "hygiene",
	Version:     "1.0.0",
	Description: "reports TODO notes, large files, CRLF line endings, trailing whitespace and scripts without a shebang",
	Commands:    []pluginexec.Command{{Path: []string{"scan"}, Type: scanapi.CommandType}},
}

func main() {
	pluginexec.ServeInfo(manifest) // answers `hygiene info`, or returns
	// Records go to the host's logger, with this plugin's name.
	slog.SetDefault(slog.New(service.LogHandler(nil)))
	os.Exit(run(os.Args[1:]))
}

// hostServices are the host's services this plugin calls.
type hostServices struct {
	list      func(context.Context) ([]scanapi.Entry, error)
	read      func(ctx context.Context, path string) ([]byte, error)
	readRange func(ctx context.Context, path string, off, n int64) ([]byte, error)
	report    func(context.Context, scanapi.Finding) error
}

func connect() (*hostServices, error) {
	var h hostServices
	err := errors.Join(
		service.GetService(scanapi.TargetNamespace, "list", &h.list),
		service.GetService(scanapi.TargetNamespace, "read", &h.read),
		service.GetService(scanapi.TargetNamespace, "readRange", &h.readRange),
		service.GetService(scanapi.FindingsNamespace, "report", &h.report),
	)
	return &h, err
}

func run(args []string) int {
	flags := pflag.NewFlagSet("hygiene", pflag.ContinueOnError)
	service.AddHostFlags(flags) // --host-file, given by the host
	maxKiB := flags.Int64("max-kib", 8, "files larger than this many KiB are reported")
	if err := flags.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, "hygiene:", err)
		return 2
	}
	if flags.Arg(0) != "scan" {
		fmt.Fprintf(os.Stderr, "hygiene: unknown command %q (want scan, or info)\n", flags.Arg(0))
		return 2
	}
	if !service.Hosted() {
		fmt.Fprintln(os.Stderr, "hygiene: not started by a host (no --host-file): run it from the scanner")
		return 2
	}
	ctx := context.Background()
	defer service.FlushLogs(ctx) // the records still queued, before os.Exit
	h, err := connect()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hygiene:", err)
		return 1
	}
	// The target's manifest says how large a file read returns whole.
	var target scanapi.TargetManifest
	if err := service.GetManifest(scanapi.TargetNamespace, &target); err != nil {
		fmt.Fprintln(os.Stderr, "hygiene:", err)
		return 1
	}
	c := &checker{h: h, maxSize: *maxKiB << 10, maxRead: target.MaxRead}
	if err := c.scan(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "hygiene:", err)
		return 1
	}
	return 0
}

// checker checks the files of the target one after the other.
type checker struct {
	h       *hostServices
	maxSize int64 // larger files are reported
	maxRead int64 // larger files are not read whole
	found   int
}

func (c *checker) scan(ctx context.Context) error {
	files, err := c.h.list(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := c.file(ctx, f); err != nil {
			return err
		}
	}
	slog.Info("scanned", "files", len(files), "findings", c.found)
	return nil
}

// report sends one finding: an error means the host refused it.
func (c *checker) report(ctx context.Context, f scanapi.Finding) error {
	c.found++
	return c.h.report(ctx, f)
}

func (c *checker) file(ctx context.Context, f scanapi.Entry) error {
	if f.Size > c.maxSize {
		err := c.report(ctx, scanapi.Finding{Rule: "large-file", Path: f.Path, Severity: scanapi.Low,
			Message: fmt.Sprintf("%.1f KiB, more than %d KiB", float64(f.Size)/1024, c.maxSize>>10)})
		if err != nil {
			return err
		}
	}
	if f.Size > c.maxRead {
		// Too large to read whole: its first bytes still tell a script.
		head, err := c.h.readRange(ctx, f.Path, 0, 2)
		if err != nil {
			slog.Warn("skipping", "path", f.Path, "err", err)
			return nil
		}
		slog.Warn("too large to read: only its first bytes were checked", "path", f.Path)
		return c.shebang(ctx, f, head)
	}
	data, err := c.h.read(ctx, f.Path)
	if err != nil {
		slog.Warn("skipping", "path", f.Path, "err", err)
		return nil
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil // binary
	}
	return errors.Join(c.shebang(ctx, f, data), c.lines(ctx, f.Path, string(data)))
}

// shebang reports a shell script, by name or by mode, that does not start
// with "#!": run directly, it would be run by whatever shell runs it.
func (c *checker) shebang(ctx context.Context, f scanapi.Entry, head []byte) error {
	ext := path.Ext(f.Path)
	script := ext == ".sh" || ext == ".bash" || f.Mode&0o111 != 0
	if !script || bytes.HasPrefix(head, []byte("#!")) {
		return nil
	}
	return c.report(ctx, scanapi.Finding{Rule: "missing-shebang", Path: f.Path, Line: 1, Severity: scanapi.Low,
		Message: "script without a #! line"})
}

var note = regexp.MustCompile(`\b(TODO|FIXME|XXX)\b:?\s*(.*)`)

// lines checks the text of one file line by line.
func (c *checker) lines(ctx context.Context, p, text string) error {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var crlf, trailing []int // line numbers
	for i, line := range lines {
		n := i + 1
		if strings.HasSuffix(line, "\r") {
			crlf = append(crlf, n)
			line = strings.TrimSuffix(line, "\r")
		}
		if line != strings.TrimRight(line, " \t") {
			trailing = append(trailing, n)
		}
		if m := note.FindStringSubmatch(line); m != nil {
			err := c.report(ctx, scanapi.Finding{Rule: "todo", Path: p, Line: n, Severity: scanapi.Info,
				Message: clip(m[1]+": "+m[2], 60)})
			if err != nil {
				return err
			}
		}
	}
	if len(crlf) > 0 {
		err := c.report(ctx, scanapi.Finding{Rule: "crlf-line-endings", Path: p, Line: crlf[0], Severity: scanapi.Low,
			Message: fmt.Sprintf("%d of %d lines end in CRLF", len(crlf), len(lines))})
		if err != nil {
			return err
		}
	}
	if len(trailing) > 0 {
		return c.report(ctx, scanapi.Finding{Rule: "trailing-whitespace", Path: p, Line: trailing[0], Severity: scanapi.Info,
			Message: fmt.Sprintf("%s in spaces or tabs", lineCount(len(trailing), "ends", "end"))})
	}
	return nil
}

// lineCount says "1 line ends" or "n lines end".
func lineCount(n int, one, many string) string {
	if n == 1 {
		return "1 line " + one
	}
	return fmt.Sprintf("%d lines %s", n, many)
}

// clip cuts s to n runes at most.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}
