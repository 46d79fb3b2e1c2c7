package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/hostcall/hostcall/registry"
)

// show returns the count and the values of a variadic service's arguments.
func show[T any](xs ...T) string {
	if len(xs) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d %v", len(xs), xs)
}

func showPtrs(xs ...*int) string {
	if len(xs) == 0 {
		return "none"
	}
	s := fmt.Sprint(len(xs))
	for _, x := range xs {
		if x == nil {
			s += " nil"
		} else {
			s += fmt.Sprint(" ", *x)
		}
	}
	return s
}

var variadicServices = registry.Services{
	"v": {
		"ints":    show[int],
		"strs":    func(sep string, xs ...string) string { return sep + show(xs...) },
		"ctxints": func(_ context.Context, xs ...int) string { return show(xs...) },
		"nums":    show[json.Number],
		"points":  show[Point],
		"keys":    show[textKey],
		"maps":    show[map[string]int],
		"ptrs":    showPtrs,
		// Element types that may be a JSON array: spread only.
		"slices": show[[]int],
		"anys":   show[any],
		"bytes":  show[[]byte],
		"raws":   show[json.RawMessage],
		"arrays": show[[2]int],
		"pickys": func(xs ...picky) int { return len(xs) },
	},
}

// TestVariadicForms checks both forms of a variadic call (PROTOCOL.md
// section 3): spread, one element per argument, and the variadic slice as
// the last element, as the reference protocol 1 Go client sends it.
func TestVariadicForms(t *testing.T) {
	r := registry.New()
	r.AddServices(variadicServices)
	tests := []struct {
		svc, args string
		want      string
		wantMsgs  []string // an ErrBadArguments containing them
	}{
		// Spread.
		{svc: "ints", args: `[]`, want: `none`},
		{svc: "ints", args: `[1,2,3]`, want: `3 [1 2 3]`},
		{svc: "ints", args: `[7]`, want: `1 [7]`},
		// The slice as one element.
		{svc: "ints", args: `[[1,2,3]]`, want: `3 [1 2 3]`},
		{svc: "ints", args: `[[7]]`, want: `1 [7]`},
		{svc: "ints", args: `[[]]`, want: `none`},
		{svc: "ints", args: ` [ [ 1 , 2 ] ] `, want: `2 [1 2]`},
		// null is the nil slice when it is the last element, an argument
		// otherwise (an int from null is 0, as in encoding/json).
		{svc: "ints", args: `[null]`, want: `none`},
		{svc: "ints", args: `[null,null]`, want: `2 [0 0]`},
		{svc: "ints", args: `[null,5]`, want: `2 [0 5]`},
		{svc: "ints", args: `[5,null]`, want: `2 [5 0]`},
		// The slice must be the last element, and is then alone.
		{svc: "ints", args: `[[1,2],3]`, wantMsgs: []string{"v.ints", "argument 0 (int) is a JSON array", "last element"}},
		{svc: "ints", args: `[[1],[2]]`, wantMsgs: []string{"argument 0 (int) is a JSON array"}},
		{svc: "ints", args: `[1,[2]]`, wantMsgs: []string{"argument 1 (int)", "array"}},
		// Its elements are numbered as the call's arguments.
		{svc: "ints", args: `[[1,"x"]]`, wantMsgs: []string{"v.ints", "argument 1 (int)", "string"}},
		{svc: "ints", args: `[[1,1e400]]`, wantMsgs: []string{"argument 1 (int)", "1e400"}},
		{svc: "ints", args: `[[1,2]`, wantMsgs: []string{"v.ints", "args"}},
		{svc: "ints", args: `[[1,2] 3]`, wantMsgs: []string{"v.ints", "args"}},
		{svc: "ints", args: `[[[1]]]`, wantMsgs: []string{"argument 0 (int)"}},

		// After fixed arguments.
		{svc: "strs", args: `["-","a","b"]`, want: `-2 [a b]`},
		{svc: "strs", args: `["-",["a","b"]]`, want: `-2 [a b]`},
		{svc: "strs", args: `["-",[]]`, want: `-none`},
		{svc: "strs", args: `["-",null]`, want: `-none`},
		{svc: "strs", args: `["-"]`, want: `-none`},
		{svc: "strs", args: `[["a","b"]]`, wantMsgs: []string{"argument 0 (string)"}},
		{svc: "strs", args: `["-",["a"],"b"]`, wantMsgs: []string{"argument 1 (string) is a JSON array"}},
		{svc: "ctxints", args: `[[1,2]]`, want: `2 [1 2]`},
		{svc: "ctxints", args: `[null]`, want: `none`},

		// Numbers out of float64's range take the encoding/json path: same
		// rules there.
		{svc: "nums", args: `[[1e400,2]]`, want: `2 [1e400 2]`},
		{svc: "nums", args: `[1e400,2]`, want: `2 [1e400 2]`},
		{svc: "nums", args: `[1e400,null]`, want: `2 [1e400 ]`},
		{svc: "nums", args: `[null,1e400]`, want: `2 [ 1e400]`},
		{svc: "nums", args: `[[1e400],2]`, wantMsgs: []string{"argument 0 (json.Number) is a JSON array"}},
		{svc: "nums", args: `[[1e400,{}]]`, wantMsgs: []string{"argument 1 (json.Number)"}},
		{svc: "ints", args: `[1e400,null]`, wantMsgs: []string{"argument 0 (int)", "1e400"}},

		// Other element types that are never a JSON array.
		{svc: "points", args: `[[{"X":1},{"Y":2}]]`, want: `2 [{1 0 } {0 2 }]`},
		{svc: "points", args: `[{"X":1}]`, want: `1 [{1 0 }]`},
		{svc: "points", args: `[null]`, want: `none`},
		{svc: "keys", args: `[["1-2","3-4"]]`, want: `2 [{1 2} {3 4}]`},
		{svc: "keys", args: `["1-2"]`, want: `1 [{1 2}]`},
		// Pointers and maps may be null: [null] is one nil argument.
		{svc: "ptrs", args: `[[1,null]]`, want: `2 1 nil`},
		{svc: "ptrs", args: `[null]`, want: `1 nil`},
		{svc: "ptrs", args: `[[]]`, want: `none`},
		{svc: "maps", args: `[[{"a":1},null]]`, want: `2 [map[a:1] map[]]`},
		{svc: "maps", args: `[null]`, want: `1 [map[]]`},

		// Element types that may themselves be a JSON array: spread only,
		// an array is one argument.
		{svc: "slices", args: `[[1,2]]`, want: `1 [[1 2]]`},
		{svc: "slices", args: `[[1,2],[3]]`, want: `2 [[1 2] [3]]`},
		{svc: "slices", args: `[[[1,2],[3]]]`, wantMsgs: []string{"argument 0 ([]int)"}},
		{svc: "slices", args: `[[]]`, want: `1 [[]]`},
		{svc: "slices", args: `[null]`, want: `1 [[]]`},
		{svc: "anys", args: `[[1,2,3]]`, want: `1 [[1 2 3]]`},
		{svc: "anys", args: `[null]`, want: `1 [<nil>]`},
		{svc: "bytes", args: `[[1,2]]`, want: `1 [[1 2]]`},
		{svc: "bytes", args: `[["YQ==","Yg=="]]`, wantMsgs: []string{"argument 0 ([]uint8)"}},
		{svc: "raws", args: `[[1,2]]`, want: `1 [[91 49 44 50 93]]`},
		{svc: "arrays", args: `[[1,2]]`, want: `1 [[1 2]]`},
		{svc: "arrays", args: `[[1,2],[3,4]]`, want: `2 [[1 2] [3 4]]`},
		{svc: "pickys", args: `[["ok"]]`, wantMsgs: []string{"argument 0", "picky wants ok"}},
		{svc: "pickys", args: `["ok","ok"]`, want: `2`},
	}
	for _, tt := range tests {
		t.Run(tt.svc+tt.args, func(t *testing.T) {
			svc, err := r.Lookup("v", tt.svc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.Invoke(context.Background(), []byte(tt.args), nil, nil)
			if tt.wantMsgs != nil {
				if !errors.Is(err, registry.ErrBadArguments) {
					t.Fatalf("Invoke(%s) = %s, %v; want %v", tt.args, got, err, registry.ErrBadArguments)
				}
				wantContains(t, err.Error(), tt.wantMsgs...)
				return
			}
			if err != nil {
				t.Fatalf("Invoke(%s): %v", tt.args, err)
			}
			var res []any
			if err := json.Unmarshal(got, &res); err != nil || len(res) != 1 {
				t.Fatalf("Invoke(%s) = %s: want one result", tt.args, got)
			}
			if fmt.Sprint(res[0]) != tt.want {
				t.Errorf("Invoke(%s) = %v, want %v", tt.args, res[0], tt.want)
			}
		})
	}
}
