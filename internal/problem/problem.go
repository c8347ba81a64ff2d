// Package problem is Populus's one error vocabulary. Domain code returns
// *Error values with a Kind and, for bad input, the fields that are wrong and
// why; the HTTP layer maps kinds to status codes in exactly one place and
// writes RFC 9457 application/problem+json.
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kind classifies an error for the caller.
type Kind string

const (
	Invalid      Kind = "invalid"      // the request is malformed or breaks a rule
	NotFound     Kind = "not-found"    // the thing named does not exist (or may not be seen)
	Conflict     Kind = "conflict"     // the request contradicts the current state
	Unauthorized Kind = "unauthorized" // no valid credentials
	Forbidden    Kind = "forbidden"    // credentials valid, permission lacking
	TooLarge     Kind = "too-large"    // the body exceeds its limit
	// HeadersTooLarge: the request's line and headers exceed their limit.
	HeadersTooLarge Kind = "headers-too-large"
	RateLimited     Kind = "rate-limited" // too many requests
	Unsupported     Kind = "unsupported"  // wrong media type
	Internal        Kind = "internal"     // our fault
	Unavailable     Kind = "unavailable"  // a store the answer needs is failing; try again shortly
	// MethodNotAllowed: the path exists, not with this method (the
	// response's Allow header lists those it has).
	MethodNotAllowed Kind = "method-not-allowed"
)

var status = map[Kind]int{
	Invalid:          http.StatusUnprocessableEntity,
	NotFound:         http.StatusNotFound,
	Conflict:         http.StatusConflict,
	Unauthorized:     http.StatusUnauthorized,
	Forbidden:        http.StatusForbidden,
	TooLarge:         http.StatusRequestEntityTooLarge,
	HeadersTooLarge:  http.StatusRequestHeaderFieldsTooLarge,
	RateLimited:      http.StatusTooManyRequests,
	Unsupported:      http.StatusUnsupportedMediaType,
	Internal:         http.StatusInternalServerError,
	Unavailable:      http.StatusServiceUnavailable,
	MethodNotAllowed: http.StatusMethodNotAllowed,
}

var titles = map[Kind]string{
	Invalid:          "The request is not valid",
	NotFound:         "Not found",
	Conflict:         "The request conflicts with the register",
	Unauthorized:     "Sign-in required",
	Forbidden:        "Not allowed",
	TooLarge:         "The request body is too large",
	HeadersTooLarge:  "The request's headers are too large",
	RateLimited:      "Too many requests",
	Unsupported:      "Unsupported media type",
	Internal:         "Internal error",
	Unavailable:      "Service unavailable",
	MethodNotAllowed: "Method not allowed",
}

// Status returns the HTTP status for a kind.
func (k Kind) Status() int {
	if s, ok := status[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// FieldError names one wrong field, as a dotted path into the request
// ("child.birth_date", "members[2].pin"), and says why it is wrong.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	// Format and Args are what Reason was made from: Format, the English
	// message, identifies it for a translation (the web pages show
	// reasons in the officer's language; see i18n.Catalog.Reason).
	Format string `json:"-"`
	Args   []any  `json:"-"`
}

// Formatted is a message kept as an English format and its arguments, its
// text being fmt.Sprintf(format, args...): the errors of the PIN and date
// parsers (pin.Error, civil.DateError) and the words inside them. A field
// error made from one keeps them (NewFieldError with "%v" and the error,
// Fields.AddErr), and i18n.Catalog.Reason translates arguments that are
// Formatted too, so that such errors reach pages in the officer's language.
type Formatted interface {
	FormatArgs() (format string, args []any)
}

// NewFieldError formats a field error, keeping its format and arguments.
// A reason that is only a Formatted error ("%v", err) keeps the error's
// format and arguments instead, so that it can be translated.
func NewFieldError(field, format string, args ...any) FieldError {
	fe := FieldError{Field: field, Reason: fmt.Sprintf(format, args...), Format: format, Args: args}
	if (format == "%v" || format == "%s") && len(args) == 1 {
		fe.Format, fe.Args = formatOf(args[0], format, args)
	}
	return fe
}

// formatOf returns the format and arguments of x when it is a Formatted
// error, else format and args.
func formatOf(x any, format string, args []any) (string, []any) {
	if _, ok := x.(error); ok {
		if m, ok := x.(Formatted); ok {
			if f, a := m.FormatArgs(); f != "" {
				return f, a
			}
		}
	}
	return format, args
}

// Error is a classified error with an explanation fit for the caller.
type Error struct {
	Kind   Kind
	Detail string
	Fields []FieldError
	// Status overrides Kind.Status when non-zero (e.g. 400 for malformed JSON).
	Status int
	// Format and Args are what Detail was made from (New), as for a
	// FieldError: pages show the detail in the officer's language only
	// where the catalog translates Format (i18n.Catalog.Reason), and
	// leave it out otherwise.
	Format string
	Args   []any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Detail)
	for i, f := range e.Fields {
		if i == 0 && b.Len() > 0 {
			b.WriteString(": ")
		} else if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	return b.String()
}

// New returns an error of kind k with a formatted detail.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// Field returns an Invalid error naming one field.
func Field(field, format string, args ...any) *Error {
	const detail = "A field is not valid"
	return &Error{Kind: Invalid, Detail: detail, Format: detail, Fields: []FieldError{NewFieldError(field, format, args...)}}
}

// Fields collects field errors; its Err is nil when nothing was added, so
// validation code can report every wrong field at once.
type Fields struct{ list []FieldError }

// Add records that field is wrong.
func (f *Fields) Add(field, format string, args ...any) {
	f.list = append(f.list, NewFieldError(field, format, args...))
}

// AddField records a field error made elsewhere, as it is (its format and
// arguments kept for translation).
func (f *Fields) AddField(fe FieldError) { f.list = append(f.list, fe) }

// AddErr records err against field, taking the field path from a nested
// *Error's fields where it has them (prefixing them with field).
func (f *Fields) AddErr(field string, err error) {
	var pe *Error
	if errors.As(err, &pe) && len(pe.Fields) > 0 {
		for _, fe := range pe.Fields {
			name := field
			if fe.Field != "" {
				name = field + "." + fe.Field
			}
			fe.Field = name
			f.list = append(f.list, fe)
		}
		return
	}
	fe := FieldError{Field: field, Reason: err.Error()}
	fe.Format, fe.Args = formatOf(err, "", nil)
	f.list = append(f.list, fe)
}

// Err returns an Invalid error listing every field added, or nil.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	detail := "Some fields are not valid"
	if len(f.list) == 1 {
		detail = "A field is not valid"
	}
	return &Error{Kind: Invalid, Detail: detail, Format: detail, Fields: f.list}
}

// KindOf returns the kind of err, Internal for errors that are not *Error.
func KindOf(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return Internal
}

// Is reports whether err is a problem of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Body is the RFC 9457 document.
type Body struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []FieldError `json:"errors,omitempty"`
}

// BodyOf turns any error into the document sent to the client. Errors that
// are not *Error are reported as internal, without their text, which may hold
// details not meant for the caller.
func BodyOf(err error, instance string) Body {
	var pe *Error
	if !errors.As(err, &pe) {
		pe = &Error{Kind: Internal, Detail: "Something went wrong on our side; it has been logged."}
	}
	st := pe.Status
	if st == 0 {
		st = pe.Kind.Status()
	}
	return Body{
		Type:     "https://populus.gov.vn/problems/" + string(pe.Kind),
		Title:    titles[pe.Kind],
		Status:   st,
		Detail:   pe.Detail,
		Instance: instance,
		Errors:   pe.Fields,
	}
}
