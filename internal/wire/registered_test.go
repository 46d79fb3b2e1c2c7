package wire

import (
	"errors"
	"fmt"
	"testing"
)

type limitErr struct{ Min, Asked int }

func (e *limitErr) Error() string { return fmt.Sprintf("%d < %d", e.Asked, e.Min) }

var errGone = errors.New("gone")

func init() {
	if err := RegisterError("wiretest.limit", &limitErr{}); err != nil {
		panic(err)
	}
	if err := RegisterError("wiretest.gone", errGone); err != nil {
		panic(err)
	}
}

// A peer's detail is data like any other: whatever it holds, the error
// still has its registered type and never panics.
func TestRegisteredDetailFromAPeer(t *testing.T) {
	for _, detail := range []string{``, `null`, `{"Min":1,"Asked":-2}`, `{"Min":"x","Asked":3}`, `[1,2]`, `"s"`, `{"Min":1e999}`, `{`} {
		e := &Error{Code: "wiretest.limit", Namespace: "bank", Name: "take", Message: "m", Detail: []byte(detail)}
		var le *limitErr
		if !errors.As(e, &le) || le == nil {
			t.Errorf("detail %q: errors.As found no *limitErr", detail)
		}
		if !errors.Is(e, ErrServiceError) || errors.Is(e, errGone) {
			t.Errorf("detail %q: Is matches the wrong errors", detail)
		}
		if e.Error() != "service bank.take: m" {
			t.Errorf("detail %q: message %q", detail, e.Error())
		}
	}
	e := &Error{Code: "wiretest.limit", Detail: []byte(`{"Min":1,"Asked":-2}`)}
	var le *limitErr
	if errors.As(e, &le); *le != (limitErr{Min: 1, Asked: -2}) {
		t.Errorf("fields: %+v", *le)
	}
	// A code nobody registered here: a service error, nothing more.
	if u := (&Error{Code: "other.thing"}).Unwrap(); u != nil {
		t.Errorf("unregistered code unwraps to %v", u)
	}
}

// Classify passes a peer's error on with its code and detail, and gives a
// registered error its code wherever it is in the chain.
func TestClassify(t *testing.T) {
	tests := []struct {
		err        error
		code, deta string
	}{
		{fmt.Errorf("a: %w", errGone), "wiretest.gone", ""},
		{errors.Join(errors.New("x"), &limitErr{Min: 2, Asked: 1}), "wiretest.limit", `{"Min":2,"Asked":1}`},
		{&Error{Code: "other.thing", Detail: []byte(`[1]`)}, "other.thing", `[1]`},
		{fmt.Errorf("%w", ErrBadArguments), CodeBadArguments, ""},
		{errors.New("plain"), CodeServiceError, ""},
	}
	for _, tt := range tests {
		code, detail := Classify(tt.err)
		if code != tt.code || string(detail) != tt.deta {
			t.Errorf("Classify(%v) = %q, %s; want %q, %s", tt.err, code, detail, tt.code, tt.deta)
		}
	}
}
