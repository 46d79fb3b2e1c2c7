package hosttest

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Step is one line of a transcript.
//
//	# comment
//	> TEXT        plugin to host: TEXT and a newline
//	>| TEXT       plugin to host: TEXT alone, no newline (back-to-back frames, raw blob bytes)
//	< TEXT        host to plugin: exactly TEXT and a newline
//	<| TEXT       host to plugin: TEXT alone, no newline
//	! VERB ARGS   an action of the test driver (see the drivers)
//
// In every line, <<N*S>> expands to N copies of S, and <<q:"..">> to
// the Go-unquoted string (for control characters and invalid UTF-8).
type Step struct {
	Line int
	Kind string // ">", ">|", "<", "!"
	Text string
}

// Load reads the transcript at path.
func Load(path string) ([]Step, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var steps []Step
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, text, ok := strings.Cut(line, " ")
		switch kind {
		case ">", ">|", "<", "<|", "!":
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("%s:%d: want '> ', '>| ', '< ' or '! ', got %q", path, n, line)
		}
		if text, err = expand(text); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		steps = append(steps, Step{Line: n, Kind: kind, Text: text})
	}
	return steps, sc.Err()
}

func expand(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "<<")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], ">>")
		if j < 0 {
			return "", fmt.Errorf("unclosed << in %q", s)
		}
		b.WriteString(s[:i])
		macro := s[i+2 : i+j]
		s = s[i+j+2:]
		if q, ok := strings.CutPrefix(macro, "q:"); ok {
			u, err := strconv.Unquote(q)
			if err != nil {
				return "", fmt.Errorf("bad <<q:%s>>: %v", q, err)
			}
			b.WriteString(u)
			continue
		}
		ns, rep, ok := strings.Cut(macro, "*")
		n, err := strconv.Atoi(ns)
		if !ok || err != nil {
			return "", fmt.Errorf("bad <<%s>>: want <<N*S>>", macro)
		}
		b.WriteString(strings.Repeat(rep, n))
	}
}

// Rewrite replaces lines of the transcript at path, by line number, with
// what a test run produced: the drivers' -update mode.
func Rewrite(path string, lines map[int]string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	all := strings.Split(string(data), "\n")
	for n, l := range lines {
		all[n-1] = l
	}
	return os.WriteFile(path, []byte(strings.Join(all, "\n")), 0o644)
}
