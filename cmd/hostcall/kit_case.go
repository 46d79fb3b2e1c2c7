package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// A conformance case is a text file of steps (testdata/conformance/README.md):
//
//	# comment
//	> TEXT      plugin to host: TEXT and a newline
//	>| TEXT     plugin to host: TEXT alone
//	< TEXT      host to plugin: TEXT and a newline
//	<| TEXT     host to plugin: TEXT alone
//	! VERB ...  a directive of the runner
//
// The runner writes the lines of the side it plays and matches the frames
// the implementation under test writes against the lines of its side. In
// every line <<N*S>> stands for N copies of S and <<q:"...">> for the Go
// string literal's value (control characters, invalid UTF-8).
type kitStep struct {
	line int
	kind string // ">", ">|", "<", "<|", "!"
	text string
}

// kitCase is a case file, loaded.
type kitCase struct {
	name  string // relative to the kit: "host/requests.txt"
	steps []kitStep
}

// loadCase reads the case file at path.
func loadCase(path, name string) (*kitCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &kitCase{name: name}
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
			return nil, fmt.Errorf("%s:%d: want a line starting '> ', '>| ', '< ', '<| ' or '! ', got %q", name, n, line)
		}
		if text, err = expandMacros(text); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		c.steps = append(c.steps, kitStep{line: n, kind: kind, text: text})
	}
	return c, sc.Err()
}

// expandMacros replaces <<N*S>> and <<q:"...">> in s.
func expandMacros(s string) (string, error) {
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
		if !ok || err != nil || n < 0 {
			return "", fmt.Errorf("bad <<%s>>: want <<N*S>> or <<q:\"...\">>", macro)
		}
		b.WriteString(strings.Repeat(rep, n))
	}
}
