// Command secrets is a scanner plugin that looks for credentials committed
// by mistake: AWS access keys, private keys, literal passwords and
// high-entropy tokens.
//
// It opens no file: it lists and reads the target through the host's target
// namespace and reports to the host's findings namespace. It logs with
// log/slog, through service.LogHandler: its records reach the host's
// logger. Run it from the scanner host; `secrets info` prints its
// manifest.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
	"github.com/hostcall/hostcall/pluginexec"
	"github.com/hostcall/hostcall/service"
)

var manifest = pluginexec.Manifest{
	Name:        "secrets",
	Version:     "1.0.0",
	Description: "finds AWS access keys, private keys, literal passwords and high-entropy tokens",
	Commands:    []pluginexec.Command{{Path: []string{"scan"}, Type: scanapi.CommandType}},
}

func main() {
	pluginexec.ServeInfo(manifest) // answers `secrets info`, or returns
	// Records go to the host's logger, with this plugin's name.
	slog.SetDefault(slog.New(service.LogHandler(nil)))
	os.Exit(run(os.Args[1:]))
}

// hostServices are the host's services this plugin calls.
type hostServices struct {
	list   func(context.Context) ([]scanapi.Entry, error)
	read   func(ctx context.Context, path string) ([]byte, error)
	report func(context.Context, scanapi.Finding) error
}

// connect fills in the host's services. Nothing is sent yet: an unknown
// service would fail its first call.
func connect() (*hostServices, error) {
	var h hostServices
	err := errors.Join(
		service.GetService(scanapi.TargetNamespace, "list", &h.list),
		service.GetService(scanapi.TargetNamespace, "read", &h.read),
		service.GetService(scanapi.FindingsNamespace, "report", &h.report),
	)
	return &h, err
}

func run(args []string) int {
	flags := pflag.NewFlagSet("secrets", pflag.ContinueOnError)
	service.AddHostFlags(flags) // --host-file, given by the host
	workers := flags.Int("workers", 4, "how many files are scanned at once")
	if err := flags.Parse(args); err != nil {
		fmt.Fprintln(os.Stderr, "secrets:", err)
		return 2
	}
	if flags.Arg(0) != "scan" {
		fmt.Fprintf(os.Stderr, "secrets: unknown command %q (want scan, or info)\n", flags.Arg(0))
		return 2
	}
	if !service.Hosted() {
		fmt.Fprintln(os.Stderr, "secrets: not started by a host (no --host-file): run it from the scanner")
		return 2
	}
	ctx := context.Background()
	defer service.FlushLogs(ctx) // the records still queued, before os.Exit
	if err := service.InitServiceClient(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "secrets:", err)
		return 1
	}
	h, err := connect()
	if err != nil {
		fmt.Fprintln(os.Stderr, "secrets:", err)
		return 1
	}
	if err := scan(ctx, h, max(*workers, 1)); err != nil {
		fmt.Fprintln(os.Stderr, "secrets:", err)
		return 1
	}
	return 0
}

// scan checks every file of the target, several at once: the host's
// services may be called from many goroutines.
func scan(ctx context.Context, h *hostServices, workers int) error {
	files, err := h.list(ctx)
	if err != nil {
		return err
	}
	paths := make(chan string)
	var found atomic.Int64
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				n, err := scanFile(ctx, h, p)
				found.Add(int64(n))
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, f := range files {
		if !checksums[path.Base(f.Path)] {
			paths <- f.Path
		}
	}
	close(paths)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	slog.Info("scanned", "files", len(files), "findings", found.Load())
	return nil
}

// scanFile reports what it finds in one file. A file it cannot read is
// logged and skipped; a finding the host refuses is an error.
func scanFile(ctx context.Context, h *hostServices, file string) (int, error) {
	data, err := h.read(ctx, file)
	if err != nil {
		slog.Warn("skipping", "path", file, "err", err)
		return 0, nil
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return 0, nil // binary
	}
	n := 0
	for i, line := range strings.Split(string(data), "\n") {
		for _, f := range checkLine(strings.TrimSuffix(line, "\r")) {
			f.Path, f.Line = file, i+1
			if err := h.report(ctx, f); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// checksums are files of hashes, random-looking by design, that are not
// scanned.
var checksums = map[string]bool{"go.sum": true, "go.work.sum": true}

var (
	awsKey     = regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)
	privateKey = regexp.MustCompile(`-----BEGIN ((?:[A-Z]+ )*)PRIVATE KEY-----`)
	password   = regexp.MustCompile(`(?i)(password|passwd|pwd|secret)\w*\s*[:=]\s*["']([^"'\s]+)["']`)
	token      = regexp.MustCompile(`[A-Za-z0-9+/=_-]{20,}`)
)

// minEntropy is the Shannon entropy, in bits per character, above which a
// token looks random enough to be a credential.
const minEntropy = 4.3

// checkLine returns the findings of one line, without path and line.
func checkLine(line string) []scanapi.Finding {
	var out []scanapi.Finding
	add := func(rule string, sev scanapi.Severity, format string, a ...any) {
		out = append(out, scanapi.Finding{Rule: rule, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}
	if k := awsKey.FindString(line); k != "" {
		add("aws-access-key", scanapi.High, "AWS access key ID %s", mask(k))
	}
	if m := privateKey.FindStringSubmatch(line); m != nil {
		add("private-key", scanapi.High, "%sprivate key", m[1])
	}
	if m := password.FindStringSubmatch(line); m != nil {
		add("password-assignment", scanapi.Medium, "%s set to a literal of %d characters", strings.ToLower(m[1]), len(m[2]))
	}
	for _, t := range token.FindAllString(line, -1) {
		if e := entropy(t); e >= minEntropy && classes(t) == 3 && !awsKey.MatchString(t) {
			add("high-entropy-token", scanapi.Medium, "%d-character token %s (%.1f bits/char)", len(t), mask(t), e)
			break
		}
	}
	return out
}

// mask shows the ends of a secret only.
func mask(s string) string {
	if len(s) < 12 {
		return strings.Repeat("*", len(s))
	}
	return s[:4] + "..." + s[len(s)-4:]
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	e := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(len(s))
			e -= p * math.Log2(p)
		}
	}
	return e
}

// classes counts the kinds of characters in s among lower case, upper case
// and digits: words and paths have one or two, keys all three.
func classes(s string) int {
	var lower, upper, digit int
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z':
			lower = 1
		case 'A' <= r && r <= 'Z':
			upper = 1
		case '0' <= r && r <= '9':
			digit = 1
		}
	}
	return lower + upper + digit
}
