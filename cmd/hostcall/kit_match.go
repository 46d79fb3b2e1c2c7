package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Matching a frame the implementation under test wrote against a case's
// line: both are decoded and compared as JSON values (member order,
// whitespace and string escapes do not matter; numbers compare by value),
// with two patterns in the expected line:
//
//	"*"      any value; the member must be present
//	"$name"  any value, bound to name the first time; the same value
//	         afterwards, and that value where a line the runner writes
//	         says "$name"

// vars holds the values bound by "$name" patterns, as JSON text.
type vars map[string]string

var varPattern = regexp.MustCompile(`^\$[A-Za-z][A-Za-z0-9_]*$`)

// decodeJSON decodes one JSON value, numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// matchJSON compares got with the pattern want, binding variables in vs
// (only when the whole value matches). It returns "" or what differs.
func matchJSON(want, got any, vs vars) string {
	tentative := vars{}
	if d := matchValue("", want, got, vs, tentative); d != "" {
		return d
	}
	for k, v := range tentative {
		vs[k] = v
	}
	return ""
}

func matchValue(path string, want, got any, vs, tentative vars) string {
	if s, ok := want.(string); ok {
		if s == "*" {
			return ""
		}
		if varPattern.MatchString(s) {
			return matchVar(path, s, got, vs, tentative)
		}
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %s, want an object", at(path), showJSON(got))
		}
		return matchObject(path, w, g, vs, tentative)
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %s, want an array of %d", at(path), showJSON(got), len(w))
		}
		for i := range w {
			if d := matchValue(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], vs, tentative); d != "" {
				return d
			}
		}
		return ""
	case json.Number:
		if g, ok := got.(json.Number); ok && sameNumber(w, g) {
			return ""
		}
	default: // string, bool, nil
		if want == got {
			return ""
		}
	}
	return fmt.Sprintf("%s: got %s, want %s", at(path), showJSON(got), showJSON(want))
}

func matchObject(path string, w, g map[string]any, vs, tentative vars) string {
	for _, k := range sortedKeys(w) {
		gv, ok := g[k]
		if !ok {
			return fmt.Sprintf("%s: no member %q", at(path), k)
		}
		if d := matchValue(path+"."+k, w[k], gv, vs, tentative); d != "" {
			return d
		}
	}
	for _, k := range sortedKeys(g) {
		if _, ok := w[k]; !ok {
			return fmt.Sprintf("%s: unexpected member %q: %s", at(path), k, showJSON(g[k]))
		}
	}
	return ""
}

func matchVar(path, name string, got any, vs, tentative vars) string {
	text := showJSON(got)
	bound, ok := vs[name]
	if !ok {
		bound, ok = tentative[name]
	}
	if !ok {
		tentative[name] = text
		return ""
	}
	if b, err := decodeJSON([]byte(bound)); err == nil && matchValue(path, b, got, vars{}, vars{}) == "" {
		return ""
	}
	return fmt.Sprintf("%s: got %s, want %s (%s)", at(path), text, bound, name)
}

func at(path string) string {
	if path == "" {
		return "frame"
	}
	return strings.TrimPrefix(path, ".")
}

// sameNumber compares two JSON numbers by value: 3, 3.0 and 3e0 are equal.
func sameNumber(a, b json.Number) bool {
	x, okx := new(big.Rat).SetString(string(a))
	y, oky := new(big.Rat).SetString(string(b))
	return okx && oky && x.Cmp(y) == 0
}

// showJSON is v as compact JSON, for messages and bindings.
func showJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// substitute replaces each "$name" (with its quotes) in a line the runner
// writes by the value bound to name.
func substitute(text string, vs vars) (string, error) {
	var err error
	out := quotedVar.ReplaceAllStringFunc(text, func(q string) string {
		name := q[1 : len(q)-1]
		v, ok := vs[name]
		if !ok && err == nil {
			err = fmt.Errorf("%s is not bound: no frame matched with it yet", name)
		}
		return v
	})
	return out, err
}

var quotedVar = regexp.MustCompile(`"\$[A-Za-z][A-Za-z0-9_]*"`)

// inlineBlobs replaces, in a decoded frame that has blobs, each top-level
// element of args or reply that is a blob index where the expected frame
// has a string by the base64 of that blob, and drops the blobs member,
// unless the expected frame has one: a receiver accepts a []byte either
// way (PROTOCOL.md section 6), so a case need not say which the sender
// chose.
func inlineBlobs(want, got any, blobs [][]byte) any {
	w, okw := want.(map[string]any)
	g, okg := got.(map[string]any)
	if !okw || !okg || len(blobs) == 0 {
		return got
	}
	if _, ok := w["blobs"]; ok {
		return got
	}
	out := make(map[string]any, len(g))
	for k, v := range g {
		out[k] = v
	}
	delete(out, "blobs")
	for _, member := range []string{"args", "reply"} {
		we, _ := w[member].([]any)
		ge, ok := g[member].([]any)
		if !ok {
			continue
		}
		elems := append([]any(nil), ge...)
		for i, e := range elems {
			n, isNum := e.(json.Number)
			k, err := n.Int64()
			if !isNum || err != nil || k < 0 || k >= int64(len(blobs)) || i >= len(we) {
				continue
			}
			if _, wantString := we[i].(string); wantString {
				elems[i] = base64.StdEncoding.EncodeToString(blobs[k])
			}
		}
		out[member] = elems
	}
	return out
}

// checkSenderStyle checks the rules of PROTOCOL.md section 2 for what a
// sender writes: one JSON object per line, in compact form, with sequence
// as its first member.
func checkSenderStyle(line []byte) error {
	if !json.Valid(line) || len(line) == 0 || line[0] != '{' {
		return fmt.Errorf("not one JSON object on its line (PROTOCOL.md section 2): %q", clip(line))
	}
	var b bytes.Buffer
	json.Compact(&b, line)
	if !bytes.Equal(b.Bytes(), line) {
		return fmt.Errorf("not in compact form (PROTOCOL.md section 2): %q", clip(line))
	}
	if !bytes.HasPrefix(line, []byte(`{"sequence":`)) {
		return fmt.Errorf("sequence is not the first member (PROTOCOL.md section 2): %q", clip(line))
	}
	return nil
}

// clip shortens what a message quotes.
func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}
