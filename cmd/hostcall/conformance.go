package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// defaultKit is where the kit is, from the root of a clone of hostcall.
const defaultKit = "testdata/conformance"

const conformanceUsage = `usage: hostcall conformance host|client [--kit DIR] [--run REGEXP] [--timeout D] -- COMMAND [ARGS...]

  host    COMMAND is a host under test: it serves the kit's registry on its
          stdin and stdout (testdata/conformance/README.md)
  client  COMMAND is a client driver under test: started with
          --host-file fd://3 --host-file fd://4, it makes the calls the
          runner sends on its stdin and prints their results
`

// conformanceCmd runs the cases of the conformance kit against a host or a
// client, one process of COMMAND per case, and prints a line per case
// (ok, FAIL or skip) and a summary. It exits 0 when no case failed.
func conformanceCmd(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("hostcall conformance", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(stderr)
	kit := fs.String("kit", defaultKit, "the kit's directory: host/*.txt and client/*.txt")
	run := fs.String("run", "", "run only the cases whose file name matches this regular expression")
	timeout := fs.Duration("timeout", 10*time.Second, "how long the runner waits for any one frame, result or exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, conformanceUsage)
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "host" && args[0] != "client" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		fs.Usage()
		return exitUsage
	}
	peer := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "hostcall conformance: %v\n", err)
		fs.Usage()
		return exitUsage
	}
	command := fs.Args() // pflag drops the "--" before them
	filter, err := regexp.Compile(*run)
	if err != nil || len(command) == 0 {
		fmt.Fprintf(stderr, "hostcall conformance: bad --run or no COMMAND\n")
		fs.Usage()
		return exitUsage
	}
	cases, err := loadCases(*kit, peer, filter)
	if err != nil {
		fmt.Fprintf(stderr, "hostcall conformance: %v\n", err)
		return exitUsage
	}
	cfg := &kitConfig{command: command, timeout: *timeout}
	return runCases(cases, peer, cfg, stdout)
}

// loadCases loads the cases of kit/peer whose file names match filter.
func loadCases(kit, peer string, filter *regexp.Regexp) ([]*kitCase, error) {
	files, err := filepath.Glob(filepath.Join(kit, peer, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no cases in %s: say where the kit is with --kit (%s in a clone of hostcall)", filepath.Join(kit, peer), defaultKit)
	}
	var cases []*kitCase
	for _, f := range files {
		if !filter.MatchString(filepath.Base(f)) {
			continue
		}
		c, err := loadCase(f, peer+"/"+filepath.Base(f))
		if err != nil {
			return nil, err
		}
		if len(c.steps) == 0 {
			return nil, fmt.Errorf("%s has no steps", c.name)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// runCases runs each case and reports it; it returns the exit status.
func runCases(cases []*kitCase, peer string, cfg *kitConfig, out io.Writer) int {
	var passed, failed, skipped int
	for _, c := range cases {
		var err error
		if peer == "host" {
			err = runHostCase(c, cfg)
		} else {
			err = runClientCase(c, cfg)
		}
		var skip *skipError
		switch {
		case err == nil:
			passed++
			fmt.Fprintf(out, "ok    %s\n", c.name)
		case errors.As(err, &skip):
			skipped++
			fmt.Fprintf(out, "skip  %s: %v\n", c.name, skip)
		default:
			failed++
			fmt.Fprintf(out, "FAIL  %s: %v\n", c.name, err)
			if s := lastLines(stderrOf(err), 20); s != "" {
				fmt.Fprintf(out, "      the %s's stderr:\n%s\n", peer, indent(s, "        "))
			}
		}
	}
	fmt.Fprintf(out, "hostcall conformance %s: %d passed, %d failed, %d skipped (%s)\n", peer, passed, failed, skipped, strings.Join(cfg.command, " "))
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

// caseError is a failed case with what the process wrote on stderr.
type caseError struct {
	err    error
	stderr string
}

func (e *caseError) Error() string { return e.err.Error() }
func (e *caseError) Unwrap() error { return e.err }

func stderrOf(err error) string {
	var ce *caseError
	if errors.As(err, &ce) {
		return ce.stderr
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
