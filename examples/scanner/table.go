package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/hostcall/hostcall/examples/scanner/scanapi"
)

// writeTable prints the findings as aligned columns, then a summary line.
func writeTable(w io.Writer, r *result) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if len(r.findings) > 0 {
		fmt.Fprintln(tw, "SEVERITY\tRULE\tLOCATION\tPLUGIN\tMESSAGE")
	}
	for _, f := range r.findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n",
			cell(string(f.Severity)), cell(f.Rule), cell(location(f)), cell(f.Plugin), cell(f.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s from %s in %dms\n",
		count(len(r.findings), "finding"), count(len(r.plugins), "plugin"), r.elapsed.Milliseconds())
	return err
}

// location is path:line, or the path alone for a finding about a whole file.
func location(f scanapi.Finding) string {
	if f.Line == 0 {
		return f.Path
	}
	return f.Path + ":" + strconv.Itoa(f.Line)
}

// cell makes s fit on one line of one column: what plugins send may hold
// tabs and newlines.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
