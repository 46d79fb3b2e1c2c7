package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/hostcall/hostcall/registry"
)

type Config struct {
	Name string
	Hook func()
}

type Outer struct {
	Label string
	Inner Config
}

type withPrivate struct {
	Name string
	ch   chan int
	fn   func()
}

type withSkipped struct {
	Name string
	C    chan int `json:"-"`
}

type Node struct {
	Value int
	Next  *Node
	Kids  []Node
	Index map[string]*Node
}

// chanBox holds a chan but handles its own JSON form in both directions.
type chanBox struct{ C chan int }

func (chanBox) MarshalJSON() ([]byte, error) { return []byte(`"box"`), nil }
func (b *chanBox) UnmarshalJSON([]byte) error {
	b.C = make(chan int)
	return nil
}

// textBox does the same as text.
type textBox struct{ C chan int }

func (textBox) MarshalText() ([]byte, error) { return []byte("box"), nil }
func (b *textBox) UnmarshalText([]byte) error {
	b.C = make(chan int)
	return nil
}

// encodeOnly holds a chan and only encodes itself.
type encodeOnly struct{ C chan int }

func (encodeOnly) MarshalJSON() ([]byte, error) { return []byte(`"out"`), nil }

// textKey is a struct usable as a map key through its text form.
type textKey struct{ A, B int }

func (k textKey) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "%d-%d", k.A, k.B), nil }
func (k *textKey) UnmarshalText(b []byte) error {
	_, err := fmt.Sscanf(string(b), "%d-%d", &k.A, &k.B)
	return err
}

// hook is embedded unexported below: the codec ignores it, as encoding/json
// does.
type hook func()

type embedsHook struct {
	hook
	Name string
}

type inner struct {
	F func()
}

// embedsInner promotes inner's exported F: it is on the wire.
type embedsInner struct {
	inner
}

type taggedInner struct {
	inner `json:"in"` // named, unexported: left out
}

type stringer interface{ String() string }

type holdsStringer struct{ S stringer }

type named string

func TestSignatureRefused(t *testing.T) {
	tests := []struct {
		name string
		fn   any
		want []string // in the panic message, besides the namespace and the service
	}{
		{"not a func", 42, []string{"must be a func", "int"}},
		{"not a func: struct", Config{}, []string{"must be a func", "registry_test.Config"}},
		{"nil", nil, []string{"nil"}},
		{"nil func", (func(int) int)(nil), []string{"nil", "func(int) int"}},

		{"chan param", func(chan int) {}, []string{"parameter 0", "chan int"}},
		{"send-only chan param", func(int, chan<- string) {}, []string{"parameter 1", "chan<- string"}},
		{"stream of funcs", func(<-chan func()) {}, []string{"parameter 0", "func()"}},
		{"func param", func(func()) {}, []string{"parameter 0", "func()"}},
		{"unsafe.Pointer param", func(unsafe.Pointer) {}, []string{"parameter 0", "unsafe.Pointer"}},
		{"complex64 param", func(complex64) {}, []string{"parameter 0", "complex64"}},
		{"complex128 param", func(int, complex128) {}, []string{"parameter 1", "complex128"}},

		{"chan result", func() chan int { return nil }, []string{"result 0", "chan int"}},
		{"func result", func() (int, func()) { return 0, nil }, []string{"result 1", "func()"}},
		{"unsafe.Pointer result", func() unsafe.Pointer { return nil }, []string{"result 0", "unsafe.Pointer"}},
		{"complex64 result", func() (complex64, error) { return 0, nil }, []string{"result 0", "complex64"}},
		{"complex128 result", func() complex128 { return 0 }, []string{"result 0", "complex128"}},

		{"struct field", func(Config) {}, []string{"parameter 0", "Config.Hook", "func()"}},
		{"struct field of result", func() Config { return Config{} }, []string{"result 0", "Config.Hook", "func()"}},
		{"through a pointer", func(*Config) {}, []string{"*registry_test.Config", "Config.Hook", "func()"}},
		{"nested struct", func(Outer) {}, []string{"Outer.Inner.Hook", "func()"}},
		{"nested through pointers", func(**Outer) {}, []string{"Outer.Inner.Hook"}},
		{"in a slice", func([]Config) {}, []string{"[]registry_test.Config", "Hook", "func()"}},
		{"in an array", func([2]complex64) {}, []string{"[2]complex64", "complex64"}},
		{"in a map", func(map[string]Config) {}, []string{"map[string]registry_test.Config", "Hook", "func()"}},
		{"map of funcs", func() map[string]func() { return nil }, []string{"result 0", "func()"}},
		{"slice of chans result", func() []chan int { return nil }, []string{"result 0", "chan int"}},
		{"anonymous struct", func(struct{ C chan bool }) {}, []string{"chan bool", "at C "}},
		{"embedded unexported struct's field", func(embedsInner) {}, []string{"inner.F", "func()"}},

		{"non-empty interface param", func(stringer) {}, []string{"parameter 0", "registry_test.stringer", "concrete"}},
		{"fmt.Stringer param", func(int, fmt.Stringer) {}, []string{"parameter 1", "fmt.Stringer"}},
		{"error param", func(error) {}, []string{"parameter 0 (error)", "interface"}},
		{"interface in a param's field", func(holdsStringer) {}, []string{"holdsStringer.S", "stringer"}},
		{"interface in a param's slice", func([]fmt.Stringer) {}, []string{"fmt.Stringer"}},
		{"context.Context in variadic", func(...context.Context) {}, []string{"context.Context"}},

		{"bool map key", func(map[bool]int) {}, []string{"parameter 0", "map[bool]int", "key type bool"}},
		{"array map key", func() map[[2]int]string { return nil }, []string{"result 0", "key type [2]int"}},
		{"struct map key", func(map[Point]int) {}, []string{"key type registry_test.Point"}},
		{"float map key", func(map[float64]int) {}, []string{"key type float64"}},
		{"encode-only map key param", func(map[encodeOnlyKey]int) {}, []string{"key type registry_test.encodeOnlyKey"}},

		{"encode-only type as param", func(encodeOnly) {}, []string{"parameter 0", "chan int", "encodeOnly.C"}},

		{"context not first", func(int, context.Context) {}, []string{"parameter 1", "context.Context", "first"}},
		{"context last of three", func(string, int, context.Context) {}, []string{"parameter 2", "context.Context"}},
		{"error not last", func() (error, int) { return nil, 0 }, []string{"result 0", "error", "last"}},
		{"two errors", func() (error, error) { return nil, nil }, []string{"result 0", "error", "last"}},

		{"variadic of chans", func(...chan int) {}, []string{"parameter 0", "[]chan int", "chan int"}},
		{"variadic of bad structs", func(string, ...Config) {}, []string{"parameter 1", "Config.Hook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := registry.New()
			msg := mustPanic(t, func() { r.AddService("sig", "svc", tt.fn) })
			wantContains(t, msg, `"sig"`, `"svc"`)
			wantContains(t, msg, tt.want...)
			if r.HasNamespace("sig") {
				t.Errorf("the refused service created its namespace")
			}
		})
	}
}

// encodeOnlyKey can be a key of a map that is encoded, not of one decoded.
type encodeOnlyKey struct{ A int }

func (k encodeOnlyKey) MarshalText() ([]byte, error) { return fmt.Appendf(nil, "%d", k.A), nil }

func TestSignatureAccepted(t *testing.T) {
	tests := []struct {
		name string
		fn   any
	}{
		{"no params, no results", func() {}},
		{"basic kinds", func(bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
			float32, float64, string, uintptr) {
		}},
		{"composites", func([]int, [3]string, map[string]int, *int, []*string, map[int][]float64) {}},
		{"named string key", func(map[named]int) map[named]int { return nil }},
		{"TextMarshaler key", func(map[textKey]int) map[textKey]int { return nil }},
		{"encode-only key in a result", func() map[encodeOnlyKey]int { return nil }},
		{"any param", func(any) {}},
		{"any in a struct", func(struct{ V any }) {}},
		{"empty interface literal", func(interface{}) interface{} { return nil }},
		{"interface result", func() fmt.Stringer { return nil }},
		{"interface in a result's field", func() holdsStringer { return holdsStringer{} }},
		{"error result only", func() error { return nil }},
		{"results and error", func() (int, string, error) { return 0, "", nil }},
		{"context first", func(context.Context) {}},
		{"context and more", func(context.Context, int, string) (string, error) { return "", nil }},
		{"unexported chan and func fields", func(withPrivate) withPrivate { return withPrivate{} }},
		{`json:"-" chan field`, func(withSkipped) withSkipped { return withSkipped{} }},
		{"embedded unexported func type", func(embedsHook) embedsHook { return embedsHook{} }},
		{"named embedded unexported struct", func(taggedInner) taggedInner { return taggedInner{} }},
		{"JSON (un)marshaler holding a chan", func(chanBox) chanBox { return chanBox{} }},
		{"JSON (un)marshaler through pointers", func(*chanBox, []chanBox) *chanBox { return nil }},
		{"text (un)marshaler holding a chan", func(textBox, map[string]textBox) textBox { return textBox{} }},
		{"encode-only type as result", func() encodeOnly { return encodeOnly{} }},
		{"recursive type", func(Node) (*Node, error) { return nil, nil }},
		{"recursive through slices and maps", func([]Node, map[string]Node) []*Node { return nil }},
		{"time and json types", func(time.Time, time.Duration, json.RawMessage, json.Number) (time.Time, json.RawMessage) {
			return time.Time{}, nil
		}},
		{"variadic", func(...int) int { return 0 }},
		{"variadic after context", func(context.Context, string, ...[]byte) error { return nil }},
		{"method value", strings.NewReplacer("a", "b").Replace},
		{"errors.New", errors.New},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := registry.New()
			r.AddService("sig", "svc", tt.fn)
			if _, err := r.Lookup("sig", "svc"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestServiceAccessors(t *testing.T) {
	r := registry.New()
	fn := func(ctx context.Context, a, b int) (int, error) { return a + b, nil }
	r.AddService("calc", "add", fn)
	svc, err := r.Lookup("calc", "add")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Namespace() != "calc" || svc.Name() != "add" {
		t.Errorf("service is %s.%s", svc.Namespace(), svc.Name())
	}
	if got, want := svc.Type().String(), "func(context.Context, int, int) (int, error)"; got != want {
		t.Errorf("Type() = %s, want %s", got, want)
	}
}
