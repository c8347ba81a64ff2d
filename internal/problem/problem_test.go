package problem

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestFieldsCollectAndNest(t *testing.T) {
	var f Fields
	if f.Err() != nil {
		t.Fatal("empty Fields is an error")
	}
	f.Add("name", "must not be empty")
	f.AddErr("child", Field("birth_date", "day 30 does not exist"))
	f.AddErr("pin", errors.New("has 11 digits"))
	err := f.Err()
	b := BodyOf(err, "/x")
	if b.Status != 422 || len(b.Errors) != 3 {
		t.Fatalf("body = %+v", b)
	}
	if b.Errors[1].Field != "child.birth_date" {
		t.Errorf("nested field = %q", b.Errors[1].Field)
	}
}

func TestInternalErrorsHideText(t *testing.T) {
	b := BodyOf(fmt.Errorf("pq: password=secret"), "")
	if b.Status != 500 || b.Detail == "" || contains(b.Detail, "secret") {
		t.Errorf("body = %+v", b)
	}
	if KindOf(fmt.Errorf("wrap: %w", New(NotFound, "x"))) != NotFound {
		t.Error("KindOf does not see through wrapping")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// formatted is an error kept as a format and arguments, as pin.Error and
// civil.DateError are.
type formatted struct {
	format string
	args   []any
}

func (e formatted) Error() string               { return fmt.Sprintf(e.format, e.args...) }
func (e formatted) FormatArgs() (string, []any) { return e.format, e.args }

// TestFormattedErrorsKeepTheirFormat: a field error wrapping an error that
// is kept as a format and arguments keeps them, so that pages can translate
// it; other errors keep "%v" (or nothing, through AddErr).
func TestFormattedErrorsKeepTheirFormat(t *testing.T) {
	digit := formatted{"character %d is %q, not a digit", []any{7, "O"}}
	for _, format := range []string{"%v", "%s"} {
		fe := Field("pin", format, digit).Fields[0]
		if fe.Reason != `character 7 is "O", not a digit` || fe.Format != digit.format || len(fe.Args) != 2 || fe.Args[0] != 7 || fe.Args[1] != "O" {
			t.Errorf("Field(pin, %q, formatted) = %+v", format, fe)
		}
	}
	plain := errors.New("has 11 digits")
	if fe := NewFieldError("pin", "%v", plain); fe.Reason != "has 11 digits" || fe.Format != "%v" || len(fe.Args) != 1 || fe.Args[0] != plain {
		t.Errorf("NewFieldError(pin, %%v, plain) = %+v", fe)
	}
	// A format that says more than the error keeps its own format.
	if fe := NewFieldError("pin", "cannot change: %v", digit); fe.Format != "cannot change: %v" || len(fe.Args) != 1 {
		t.Errorf("NewFieldError with a longer format = %+v", fe)
	}
	// A Formatted value that is not an error prints differently with %v, so
	// it is not unwrapped.
	if fe := NewFieldError("x", "%v", word("male")); fe.Format != "%v" {
		t.Errorf("NewFieldError(x, %%v, word) = %+v", fe)
	}

	var f Fields
	f.AddErr("father_pin", digit)
	f.AddErr("mother_pin", plain)
	f.AddErr("child", fmt.Errorf("wrapped: %w", digit))
	var pe *Error
	if !errors.As(f.Err(), &pe) || len(pe.Fields) != 3 {
		t.Fatalf("Fields.Err() = %v", f.Err())
	}
	if fe := pe.Fields[0]; fe.Field != "father_pin" || fe.Reason != digit.Error() || fe.Format != digit.format || len(fe.Args) != 2 {
		t.Errorf("AddErr(formatted) = %+v", fe)
	}
	if fe := pe.Fields[1]; fe.Reason != "has 11 digits" || fe.Format != "" || fe.Args != nil {
		t.Errorf("AddErr(plain) = %+v", fe)
	}
	if fe := pe.Fields[2]; fe.Reason != "wrapped: "+digit.Error() || fe.Format != "" {
		t.Errorf("AddErr(wrapped formatted) = %+v", fe)
	}
}

type word string

func (w word) FormatArgs() (string, []any) { return string(w), nil }
