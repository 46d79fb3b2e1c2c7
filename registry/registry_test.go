package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hostcall/hostcall/registry"
)

// mustPanic runs f and returns what it panicked with, as a string. The test
// fails when f returns normally.
func mustPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			t.Fatal("did not panic")
		}
		msg = fmt.Sprint(v)
	}()
	f()
	return ""
}

// wantContains fails t unless s contains every one of subs.
func wantContains(t *testing.T, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%q does not contain %q", s, sub)
		}
	}
}

// view is everything a layer shows: its namespaces, their services and
// manifests.
type view struct {
	Namespaces []string
	Services   map[string][]string
	Manifests  map[string]string
}

func viewOf(t *testing.T, r *registry.Registry) view {
	t.Helper()
	v := view{Namespaces: r.Namespaces(), Services: map[string][]string{}, Manifests: map[string]string{}}
	for _, ns := range v.Namespaces {
		names, ok := r.ServiceNames(ns)
		if !ok {
			t.Errorf("ServiceNames(%q): namespace listed by Namespaces is missing", ns)
		}
		v.Services[ns] = names
		m, ok := r.Manifest(ns)
		if !ok {
			t.Errorf("Manifest(%q): namespace listed by Namespaces is missing", ns)
		}
		v.Manifests[ns] = string(m)
		if !r.HasNamespace(ns) {
			t.Errorf("HasNamespace(%q) = false for a listed namespace", ns)
		}
	}
	return v
}

// call looks ns.name up in r and invokes it with args, returning the
// results as JSON.
func call(t *testing.T, r *registry.Registry, ns, name, args string) string {
	t.Helper()
	svc, err := r.Lookup(ns, name)
	if err != nil {
		t.Fatalf("Lookup(%q, %q): %v", ns, name, err)
	}
	out, err := svc.Invoke(context.Background(), []byte(args), nil, nil)
	if err != nil {
		t.Fatalf("%s.%s%s: %v", ns, name, args, err)
	}
	return string(out)
}

// layers builds a root with two children (a, b) and a grandchild under a.
//
//	root: shared{ping,pong} log{info,warn*} late{svc*}   (* added after Inherit)
//	a:    shared{ping,only_a} (shadows root's) fs{read}
//	b:    net{dial}
//	grand (of a): extra{x}
func layers() (root, a, b, grand *registry.Registry) {
	root = registry.New()
	root.Define("shared", map[string]string{"layer": "root"})
	root.AddService("shared", "ping", func() string { return "root" })
	root.AddService("shared", "pong", func() string { return "root" })
	root.AddService("log", "info", func(string) {})

	a = root.Inherit()
	a.Define("shared", map[string]string{"layer": "a"})
	a.AddService("shared", "ping", func() string { return "a" })
	a.AddService("shared", "only_a", func() string { return "a" })
	a.AddService("fs", "read", func(string) []byte { return nil })

	b = root.Inherit()
	b.AddService("net", "dial", func(string) error { return nil })

	grand = a.Inherit()
	grand.AddService("extra", "x", func() {})

	// After the children were made: they see these too.
	root.AddService("log", "warn", func(string) {})
	root.AddService("late", "svc", func() int { return 1 })
	return root, a, b, grand
}

func TestLayersView(t *testing.T) {
	root, a, b, grand := layers()
	rootView := view{
		Namespaces: []string{"late", "log", "shared"},
		Services: map[string][]string{
			"late":   {"svc"},
			"log":    {"info", "warn"},
			"shared": {"ping", "pong"},
		},
		Manifests: map[string]string{"late": "", "log": "", "shared": `{"layer":"root"}`},
	}
	aView := view{
		Namespaces: []string{"fs", "late", "log", "shared"},
		Services: map[string][]string{
			"fs":     {"read"},
			"late":   {"svc"},
			"log":    {"info", "warn"},
			"shared": {"only_a", "ping"}, // root's pong is shadowed
		},
		Manifests: map[string]string{"fs": "", "late": "", "log": "", "shared": `{"layer":"a"}`},
	}
	tests := []struct {
		name  string
		layer *registry.Registry
		want  view
	}{
		{"root", root, rootView},
		{"a", a, aView},
		{"b", b, view{
			Namespaces: []string{"late", "log", "net", "shared"},
			Services: map[string][]string{
				"late":   {"svc"},
				"log":    {"info", "warn"},
				"net":    {"dial"},
				"shared": {"ping", "pong"},
			},
			Manifests: map[string]string{"late": "", "log": "", "net": "", "shared": `{"layer":"root"}`},
		}},
		{"grand", grand, view{
			Namespaces: []string{"extra", "fs", "late", "log", "shared"},
			Services: map[string][]string{
				"extra":  {"x"},
				"fs":     {"read"},
				"late":   {"svc"},
				"log":    {"info", "warn"},
				"shared": {"only_a", "ping"},
			},
			Manifests: map[string]string{"extra": "", "fs": "", "late": "", "log": "", "shared": `{"layer":"a"}`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, viewOf(t, tt.layer)); diff != "" {
				t.Errorf("view (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParent(t *testing.T) {
	root, a, b, grand := layers()
	tests := []struct {
		name        string
		layer, want *registry.Registry
	}{
		{"root", root, nil},
		{"a", a, root},
		{"b", b, root},
		{"grand", grand, a},
	}
	for _, tt := range tests {
		if got := tt.layer.Parent(); got != tt.want {
			t.Errorf("%s.Parent() = %p, want %p", tt.name, got, tt.want)
		}
	}
}

func TestHasNamespace(t *testing.T) {
	root, a, b, grand := layers()
	layers := map[string]*registry.Registry{"root": root, "a": a, "b": b, "grand": grand}
	tests := []struct {
		ns   string
		want map[string]bool // by layer; absent means false
	}{
		{"shared", map[string]bool{"root": true, "a": true, "b": true, "grand": true}},
		{"late", map[string]bool{"root": true, "a": true, "b": true, "grand": true}},
		{"fs", map[string]bool{"a": true, "grand": true}},
		{"net", map[string]bool{"b": true}},
		{"extra", map[string]bool{"grand": true}},
		{"nope", nil},
		{"", nil},
	}
	for _, tt := range tests {
		for name, l := range layers {
			if got := l.HasNamespace(tt.ns); got != tt.want[name] {
				t.Errorf("%s.HasNamespace(%q) = %v, want %v", name, tt.ns, got, tt.want[name])
			}
		}
	}
}

func TestLookup(t *testing.T) {
	root, a, b, grand := layers()
	tests := []struct {
		name     string
		layer    *registry.Registry
		ns, svc  string
		want     string // the results of calling it with no arguments
		wantErr  error
		wantMsgs []string
	}{
		{name: "own", layer: root, ns: "shared", svc: "ping", want: `["root"]`},
		{name: "shadowing", layer: a, ns: "shared", svc: "ping", want: `["a"]`},
		{name: "shadowing from grandchild", layer: grand, ns: "shared", svc: "only_a", want: `["a"]`},
		{name: "parent's", layer: b, ns: "shared", svc: "pong", want: `["root"]`},
		{name: "added after Inherit", layer: grand, ns: "late", svc: "svc", want: `[1]`},
		{name: "shadowed service", layer: a, ns: "shared", svc: "pong",
			wantErr: registry.ErrUnknownService, wantMsgs: []string{`shared.pong: unknown service`}},
		{name: "child's service from parent", layer: root, ns: "shared", svc: "only_a",
			wantErr: registry.ErrUnknownService, wantMsgs: []string{`shared.only_a: unknown service`}},
		{name: "sibling's namespace", layer: b, ns: "fs", svc: "read",
			wantErr: registry.ErrUnknownNamespace, wantMsgs: []string{`fs.read: unknown namespace "fs"`}},
		{name: "child's namespace from parent", layer: a, ns: "extra", svc: "x",
			wantErr: registry.ErrUnknownNamespace, wantMsgs: []string{`extra.x: unknown namespace "extra"`}},
		{name: "unknown namespace", layer: grand, ns: "nope", svc: "x",
			wantErr: registry.ErrUnknownNamespace, wantMsgs: []string{`nope.x: unknown namespace "nope"`}},
		{name: "unknown service", layer: grand, ns: "log", svc: "debug",
			wantErr: registry.ErrUnknownService, wantMsgs: []string{`log.debug: unknown service`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := tt.layer.Lookup(tt.ns, tt.svc)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Lookup(%q, %q) = %v, %v; want an error wrapping %v", tt.ns, tt.svc, svc, err, tt.wantErr)
				}
				if svc != nil {
					t.Errorf("Lookup returned a service with its error")
				}
				wantContains(t, err.Error(), tt.wantMsgs...)
				return
			}
			if err != nil {
				t.Fatalf("Lookup(%q, %q): %v", tt.ns, tt.svc, err)
			}
			if svc.Namespace() != tt.ns || svc.Name() != tt.svc {
				t.Errorf("service is %s.%s, want %s.%s", svc.Namespace(), svc.Name(), tt.ns, tt.svc)
			}
			if got := call(t, tt.layer, tt.ns, tt.svc, `[]`); got != tt.want {
				t.Errorf("calling it = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestServiceNamesAndManifestOfUnknown(t *testing.T) {
	_, a, _, _ := layers()
	if names, ok := a.ServiceNames("net"); ok || names != nil {
		t.Errorf("ServiceNames of a sibling's namespace = %q, %v; want nil, false", names, ok)
	}
	if m, ok := a.Manifest("net"); ok || m != nil {
		t.Errorf("Manifest of a sibling's namespace = %q, %v; want nil, false", m, ok)
	}
}

func TestServiceNamesOfEmptyNamespace(t *testing.T) {
	r := registry.New()
	r.Define("empty", nil)
	names, ok := r.ServiceNames("empty")
	if !ok || len(names) != 0 {
		t.Errorf("ServiceNames(empty) = %q, %v; want none, true", names, ok)
	}
}

func TestChildCannotAddToParentNamespace(t *testing.T) {
	_, a, b, grand := layers()
	tests := []struct {
		name  string
		layer *registry.Registry
		ns    string
	}{
		{"child into root's", b, "log"},
		{"sibling's namespace name is free", b, "fs"}, // a's, not b's parent's: allowed
		{"grandchild into root's", grand, "late"},
		{"grandchild into parent's shadow", grand, "shared"},
		{"grandchild into parent's", grand, "fs"},
		{"child into root's, added after Inherit", a, "late"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.layer.Parent().HasNamespace(tt.ns) {
				// Not a parent's namespace: adding creates the layer's own.
				tt.layer.AddService(tt.ns, "new", func() {})
				if _, err := tt.layer.Lookup(tt.ns, "new"); err != nil {
					t.Fatal(err)
				}
				return
			}
			msg := mustPanic(t, func() { tt.layer.AddService(tt.ns, "new", func() {}) })
			wantContains(t, msg, fmt.Sprintf("%q", tt.ns), `"new"`, "parent", "Define it")
			if _, err := tt.layer.Lookup(tt.ns, "new"); !errors.Is(err, registry.ErrUnknownService) {
				t.Errorf("after the panic, Lookup = %v; want ErrUnknownService", err)
			}
		})
	}
}

func TestAddServicesIntoParentNamespacePanics(t *testing.T) {
	root := registry.New()
	root.AddService("log", "info", func(string) {})
	child := root.Inherit()
	msg := mustPanic(t, func() {
		child.AddServices(registry.Services{"log": {"debug": func(string) {}}})
	})
	wantContains(t, msg, `"log"`, `"debug"`, "Define it")
}

func TestShadowHidesWholeNamespace(t *testing.T) {
	root := registry.New()
	root.Define("io", "root's")
	root.AddService("io", "read", func() string { return "root" })
	root.AddService("io", "write", func() string { return "root" })
	child := root.Inherit()
	child.Define("io", nil)
	child.AddService("io", "read", func() string { return "child" })
	root.AddService("io", "close", func() {}) // after the shadow: still hidden

	if got := call(t, child, "io", "read", "[]"); got != `["child"]` {
		t.Errorf("child io.read = %s", got)
	}
	if got := call(t, root, "io", "read", "[]"); got != `["root"]` {
		t.Errorf("root io.read = %s", got)
	}
	for _, name := range []string{"write", "close"} {
		if _, err := child.Lookup("io", name); !errors.Is(err, registry.ErrUnknownService) {
			t.Errorf("child Lookup(io, %s) = %v; want ErrUnknownService", name, err)
		}
		if _, err := root.Lookup("io", name); err != nil {
			t.Errorf("root Lookup(io, %s): %v", name, err)
		}
	}
	if m, ok := child.Manifest("io"); !ok || m != nil {
		t.Errorf("child Manifest(io) = %q, %v; want nil, true (its own, not the parent's)", m, ok)
	}
	if m, _ := root.Manifest("io"); string(m) != `"root's"` {
		t.Errorf("root Manifest(io) = %s", m)
	}
}

type badMarshaler struct{ out string }

func (b badMarshaler) MarshalJSON() ([]byte, error) { return []byte(b.out), nil }

type failingMarshaler struct{}

func (failingMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("no JSON today") }

func TestDefine(t *testing.T) {
	type manifest struct {
		Version int    `json:"version"`
		Doc     string `json:"doc,omitempty"`
		skip    chan int
	}
	tests := []struct {
		name     string
		manifest any
		want     string // the manifest's JSON; "" for none
		wantNil  bool
	}{
		{name: "nil", manifest: nil, wantNil: true},
		{name: "nil RawMessage", manifest: json.RawMessage(nil), wantNil: true},
		{name: "struct", manifest: manifest{Version: 2}, want: `{"version":2}`},
		{name: "pointer", manifest: &manifest{Version: 3, Doc: "x"}, want: `{"version":3,"doc":"x"}`},
		{name: "map sorted", manifest: map[string]int{"b": 2, "a": 1}, want: `{"a":1,"b":2}`},
		{name: "string", manifest: "hi", want: `"hi"`},
		{name: "RawMessage", manifest: json.RawMessage(`{"x": [1, 2]}`), want: `{"x":[1,2]}`}, // compacted for the wire
		{name: "Marshaler", manifest: badMarshaler{`{"ok":true}`}, want: `{"ok":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := registry.New()
			r.Define("ns", tt.manifest)
			m, ok := r.Manifest("ns")
			if !ok {
				t.Fatal("Manifest: namespace missing")
			}
			if tt.wantNil {
				if m != nil {
					t.Errorf("Manifest = %q, want nil", m)
				}
				return
			}
			if string(m) != tt.want {
				t.Errorf("Manifest = %s, want %s", m, tt.want)
			}
		})
	}
}

func TestDefineBadManifestPanics(t *testing.T) {
	tests := []struct {
		name     string
		manifest any
		wantMsgs []string
	}{
		{"chan", make(chan int), nil},
		{"func", func() {}, nil},
		{"struct with chan", struct{ C chan int }{}, nil},
		{"invalid RawMessage", json.RawMessage(`{"a":`), []string{"invalid JSON"}},
		{"RawMessage with two values", json.RawMessage(`1 2`), []string{"invalid JSON"}},
		{"empty RawMessage", json.RawMessage{}, []string{"invalid JSON"}},
		{"MarshalJSON gives invalid JSON", badMarshaler{`{"a":`}, []string{"invalid JSON"}},
		{"MarshalJSON fails", failingMarshaler{}, []string{"no JSON today"}},
		{"NaN", map[string]float64{"x": nan()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := registry.New()
			msg := mustPanic(t, func() { r.Define("meta", tt.manifest) })
			wantContains(t, msg, `Define("meta")`, "manifest")
			wantContains(t, msg, tt.wantMsgs...)
			if r.HasNamespace("meta") {
				t.Errorf("a failed Define left the namespace behind")
			}
		})
	}
}

func TestDefineTwicePanics(t *testing.T) {
	r := registry.New()
	r.Define("ns", 1)
	msg := mustPanic(t, func() { r.Define("ns", 2) })
	wantContains(t, msg, `"ns"`, "already defined")
	if m, _ := r.Manifest("ns"); string(m) != "1" {
		t.Errorf("the second Define changed the manifest to %s", m)
	}

	// Twice in a child too, although the parent defines it as well.
	c := r.Inherit()
	c.Define("ns", 3)
	msg = mustPanic(t, func() { c.Define("ns", 4) })
	wantContains(t, msg, `"ns"`, "already defined")
}

func TestDefineAfterAddService(t *testing.T) {
	r := registry.New()
	r.AddService("calc", "add", func(a, b int) int { return a + b })
	if m, ok := r.Manifest("calc"); !ok || m != nil {
		t.Fatalf("implicit namespace: Manifest = %q, %v; want nil, true", m, ok)
	}
	r.Define("calc", map[string]string{"doc": "arithmetic"})
	if m, _ := r.Manifest("calc"); string(m) != `{"doc":"arithmetic"}` {
		t.Errorf("Manifest = %s", m)
	}
	if got := call(t, r, "calc", "add", "[1,2]"); got != "[3]" {
		t.Errorf("add after Define = %s", got)
	}
	mustPanic(t, func() { r.Define("calc", nil) })
}

func TestManifestIsACopy(t *testing.T) {
	raw := json.RawMessage(`{"a":1}`)
	r := registry.New()
	r.Define("ns", raw)
	copy(raw, `{"b":2}`) // the caller reuses its buffer

	m, _ := r.Manifest("ns")
	if string(m) != `{"a":1}` {
		t.Fatalf("Manifest = %s after the caller changed its buffer", m)
	}
	copy(m, `xxxxxxx`) // a consumer scribbles on what it got
	if m, _ := r.Manifest("ns"); string(m) != `{"a":1}` {
		t.Errorf("Manifest = %s after a consumer changed the returned slice", m)
	}
}

func TestAddServices(t *testing.T) {
	r := registry.New()
	r.Define("calc", "arithmetic")
	r.AddServices(registry.Services{
		"calc": {
			"add": func(a, b int) int { return a + b },
			"neg": func(a int) int { return -a },
		},
		"text": {"upper": strings.ToUpper},
		"none": {},
	})
	want := view{
		Namespaces: []string{"calc", "text"},
		Services:   map[string][]string{"calc": {"add", "neg"}, "text": {"upper"}},
		Manifests:  map[string]string{"calc": `"arithmetic"`, "text": ""},
	}
	if diff := cmp.Diff(want, viewOf(t, r)); diff != "" {
		t.Errorf("view (-want +got):\n%s", diff)
	}
	if got := call(t, r, "text", "upper", `["go"]`); got != `["GO"]` {
		t.Errorf("text.upper = %s", got)
	}
}

func TestAddServicesIsSorted(t *testing.T) {
	// With two bad services, the one first in sorted order is reported,
	// whatever the map's iteration order, and those before it are added.
	for range 20 {
		r := registry.New()
		msg := mustPanic(t, func() {
			r.AddServices(registry.Services{
				"b": {"ok": func() {}, "z": 2},
				"a": {"fine": func() {}, "y": 1, "x": func() {}},
			})
		})
		wantContains(t, msg, `AddService("a", "y")`)
		if diff := cmp.Diff([]string{"a"}, r.Namespaces()); diff != "" {
			t.Fatalf("namespaces (-want +got):\n%s", diff)
		}
		if names, _ := r.ServiceNames("a"); !cmp.Equal(names, []string{"fine", "x"}) {
			t.Fatalf("services of a = %q; want [fine x]", names)
		}
	}
}

func TestDuplicateServicePanics(t *testing.T) {
	r := registry.New()
	r.AddService("calc", "add", func(a, b int) int { return a + b })
	msg := mustPanic(t, func() { r.AddService("calc", "add", func(a, b int) int { return 0 }) })
	wantContains(t, msg, `"calc"`, `"add"`, "already added")
	if got := call(t, r, "calc", "add", "[1,2]"); got != "[3]" {
		t.Errorf("the first add was replaced: %s", got)
	}

	// The same name in a child's shadowing namespace is not a duplicate.
	c := r.Inherit()
	c.Define("calc", nil)
	c.AddService("calc", "add", func(a, b int) int { return a * b })
	if got := call(t, c, "calc", "add", "[2,5]"); got != "[10]" {
		t.Errorf("child's add = %s", got)
	}
}

func TestEmptyServiceNamePanics(t *testing.T) {
	r := registry.New()
	msg := mustPanic(t, func() { r.AddService("calc", "", func() {}) })
	wantContains(t, msg, `"calc"`, "empty service name")
	if r.HasNamespace("calc") {
		t.Errorf("the failed AddService created the namespace")
	}
}

func TestBadServiceCreatesNoNamespace(t *testing.T) {
	r := registry.New()
	mustPanic(t, func() { r.AddService("calc", "x", 42) })
	if r.HasNamespace("calc") {
		t.Errorf("the failed AddService created the namespace")
	}
}
