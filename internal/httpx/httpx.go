// Package httpx is the HTTP plumbing every capability uses the same way:
// handlers that return errors, JSON encoding and strict decoding with size
// limits, RFC 9457 problem responses, pagination, and the middleware chain
// (recovery, security headers, request logs, metrics).
//
// It must never log request bodies or query strings: they carry personal data.
package httpx

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/problem"
)

// MaxBody is the default limit on a JSON request body.
const MaxBody = 64 << 10

// HandlerFunc is an http.HandlerFunc that may fail; Handle writes its error
// as a problem document.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts a HandlerFunc.
func Handle(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			WriteProblem(w, r, err)
		}
	})
}

// jsonBuffers recycles response buffers: every API response is encoded
// whole before it is written (so that an encoding error can still become a
// problem response), and most are under a few KiB.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps an occasional large response from pinning memory.
const maxPooledBuffer = 64 << 10

// JSONAppender is a value that appends its own JSON encoding, byte for byte
// what encoding/json would write, without reflection. The hottest responses
// implement it; a test beside each keeps the two encodings equal.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// WriteJSON writes v as JSON, followed by a newline, with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			jsonBuffers.Put(buf)
		}
	}()
	if a, ok := v.(JSONAppender); ok {
		buf.Write(a.AppendJSON(buf.AvailableBuffer()))
		buf.WriteByte('\n')
	} else if err := json.NewEncoder(buf).Encode(v); err != nil {
		// Encode writes what json.Marshal returns, and the newline.
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// RetryAfter is an error that says when to try again (a rate limit's
// refusal): WriteProblem sends it as the Retry-After header of a 429.
type RetryAfter interface {
	error
	RetryAfterSeconds() int
}

// SetRetryAfter sets w's Retry-After header from err when err says when to
// try again (a RetryAfter), and returns the seconds; 0 when it does not.
func SetRetryAfter(w http.ResponseWriter, err error) int {
	var rt RetryAfter
	if !errors.As(err, &rt) {
		return 0
	}
	n := rt.RetryAfterSeconds()
	w.Header().Set("Retry-After", strconv.Itoa(n))
	return n
}

// sampler lets one log line through a second, and counts the others.
type sampler struct {
	mu      sync.Mutex
	last    time.Time
	skipped int
}

// take reports whether a line may be written at now, and how many were
// skipped since the last one written.
func (s *sampler) take(now time.Time) (skipped int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.last) < time.Second {
		s.skipped++
		return 0, false
	}
	skipped, s.skipped, s.last = s.skipped, 0, now
	return skipped, true
}

var unavailableLines sampler

// WriteProblem writes err as application/problem+json. Internal errors are
// logged, through slog's default logger, with the route pattern (never the
// path, which may hold a PIN); their text never reaches the client.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	body := problem.BodyOf(err, r.URL.Path)
	switch {
	case body.Status == http.StatusServiceUnavailable:
		// An outage refuses every request: one line a second, with how
		// many were refused since the last, not one a request.
		if n, ok := unavailableLines.take(time.Now()); ok {
			slog.ErrorContext(r.Context(), "request refused: service unavailable", "method", r.Method, "route", RouteName(r), "status", body.Status, "err", err, "refused_since_last_line", n)
		}
	case body.Status >= 500:
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", RouteName(r), "status", body.Status, "err", err)
	}
	if body.Status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" && SetRetryAfter(w, err) == 0 {
		w.Header().Set("Retry-After", "60")
	}
	if l, ok := r.Context().Value(localizerKey{}).(ProblemLocalizer); ok {
		if lang := l(r, &body, err); lang != "" {
			w.Header().Set("Content-Language", lang)
		}
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(body.Status)
	w.Write(append(b, '\n'))
}

// ProblemLocalizer writes the words of a problem document (title, detail,
// the fields' reasons) in the language its request asks for, where it has
// them, and returns that language ("" for none: the document stays in
// English). The type, status and field names never change.
type ProblemLocalizer func(r *http.Request, b *problem.Body, err error) string

type localizerKey struct{}

// WithLocalizer returns ctx with l, which WriteProblem then uses to answer
// in the language each request asks for.
func WithLocalizer(ctx context.Context, l ProblemLocalizer) context.Context {
	return context.WithValue(ctx, localizerKey{}, l)
}

// RouteName is what logs and metrics call the request: the pattern of the route
// the mux matched ("GET /api/v1/persons/{pin}"), or "unmatched". Never the
// path, which may hold a PIN.
func RouteName(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

// DecodeJSON reads one JSON object from the request body into dst, with a
// size limit, rejecting unknown fields, duplicate fields (a name given twice
// in one object, in any case), trailing data and a wrong media type. Its
// errors name the field that is wrong by its full path ("address.unit_code").
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if limit <= 0 {
		limit = MaxBody
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &problem.Error{Kind: problem.Unsupported, Detail: "the body must be application/json",
				Fields: []problem.FieldError{{Field: "Content-Type", Reason: "must be application/json"}}}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return decodeError(err, limit)
	}
	return DecodeJSONBytes(body, dst)
}

// DecodeJSONBytes is DecodeJSON of a body already read (one a caller also
// hashes), its media type and size checked by the caller.
func DecodeJSONBytes(body []byte, dst any) error {
	limit := int64(len(body))
	found := scanJSON(reflect.TypeOf(dst), body)
	if found.duplicate != "" {
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "the body has a field more than once",
			Fields: []problem.FieldError{{Field: found.duplicate, Reason: "appears more than once"}}}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		e := decodeError(err, limit)
		if pe, ok := e.(*problem.Error); ok && found.unknown != "" && len(pe.Fields) == 1 && pe.Fields[0].Reason == unknownField &&
			(found.unknown == pe.Fields[0].Field || strings.HasSuffix(found.unknown, "."+pe.Fields[0].Field)) {
			// encoding/json names an unknown field by its last part.
			pe.Fields[0].Field = found.unknown
		}
		if pe, ok := e.(*problem.Error); ok && len(pe.Fields) == 0 && pe.Detail != "" {
			// A field's own decoder failed; find which field.
			if path := locate(reflect.TypeOf(dst), body); path != "" {
				pe.Fields = []problem.FieldError{{Field: path, Reason: fieldReason(err)}}
				pe.Detail = "A field is not valid"
			}
		}
		return e
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if err != nil {
			if e := decodeError(err, limit); problem.KindOf(e) == problem.TooLarge {
				return e
			}
		}
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "the body must hold a single JSON object",
			Fields: bodyField("must hold a single JSON object, nothing after it")}
	}
	return nil
}

// bodyField names the body as the field that is wrong, for errors of the
// body as a whole: every problem of a request names what is wrong, and why.
func bodyField(reason string) []problem.FieldError {
	return []problem.FieldError{{Field: "(body)", Reason: reason}}
}

// unknownField is the reason given for a field the endpoint does not know.
const unknownField = "unknown field"

func decodeError(err error, limit int64) error {
	var (
		syn   *json.SyntaxError
		typ   *json.UnmarshalTypeError
		large *http.MaxBytesError
	)
	switch {
	case errors.As(err, &large):
		e := problem.New(problem.TooLarge, "the body is larger than %d bytes", limit)
		e.Fields = bodyField(fmt.Sprintf("is larger than %d bytes", limit))
		return e
	case errors.As(err, &syn):
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn),
			Fields: bodyField(fmt.Sprintf("is not JSON at byte %d: %v", syn.Offset, syn))}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "a field has the wrong type",
			Fields: []problem.FieldError{{Field: field, Reason: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind().String()), typ.Value)}}}
	case errors.Is(err, io.EOF):
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "the body is empty; a JSON object is expected",
			Fields: bodyField("is empty: a JSON object is expected")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "the JSON body ends too early",
			Fields: bodyField("ends too early")}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "the body has a field this endpoint does not know",
			Fields: []problem.FieldError{{Field: name, Reason: unknownField}}}
	}
	// Errors from a field's own UnmarshalJSON (dates, sex) arrive without
	// the field's name from encoding/json; report the reason.
	return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "A field is not valid: " + fieldReason(err)}
}

// timeReason is the reason of a time that does not parse (time.Time's
// decoder reads RFC 3339 only).
const timeReason = "must be a date and time with its offset (RFC 3339), e.g. 2027-06-01T00:00:00+07:00"

// fieldReason is the reason a field's own decoder gave, in words where
// the decoder's is Go's (a time's layout).
func fieldReason(err error) string {
	var te *time.ParseError
	if errors.As(err, &te) {
		return timeReason
	}
	return err.Error()
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	}
	return "a number"
}

// Page is a request for one page of a list: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// ParsePage reads ?limit= (1..max, default def) and ?cursor=.
func ParsePage(r *http.Request, def, max int) (Page, error) {
	p := Page{Limit: def, Cursor: r.URL.Query().Get("cursor")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return p, problem.Field("limit", "must be a whole number from 1 to %d", max)
		}
		p.Limit = n
	}
	return p, nil
}

// List is the envelope of every paginated response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// locate finds the path of the first field of body whose value does not
// decode into the matching field of t (a pointer to a struct), descending
// into nested objects. encoding/json reports errors from a type's own
// UnmarshalJSON (dates, sex) without the field's name.
func locate(t reflect.Type, body []byte) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	fields := map[string]reflect.Type{}
	collect(t, fields)
	for name, raw := range obj {
		ft, ok := fields[name]
		if !ok {
			continue
		}
		if json.Unmarshal(raw, reflect.New(ft).Interface()) != nil {
			if sub := locate(ft, raw); sub != "" {
				return name + "." + sub
			}
			return name
		}
	}
	return ""
}

// collect maps JSON names to field types, flattening embedded structs.
func collect(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			collect(f.Type, into)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = f.Type
	}
}

// CSRFHeader and CSRFField carry a session's CSRF token on unsafe requests
// (the staff's and the citizen's sessions alike).
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf"
)

// SafeMethod reports whether a request with this method changes nothing,
// and so needs no CSRF token.
func SafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// RequireCSRF returns nil if r carries the session's token want: in the
// header CSRFHeader or, without it, the form field CSRFField, read by
// field when it finds one (a multipart form's, read as a stream), else
// from a URL-encoded form of at most limit bytes (PostedField). Otherwise
// the error to write: 413 for a form too large to read, 403 without the
// token.
func RequireCSRF(w http.ResponseWriter, r *http.Request, want string, limit int64, field func(*http.Request) (string, bool)) error {
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		var ok bool
		if field != nil {
			got, ok = field(r)
		}
		if !ok {
			var err error
			if got, err = PostedField(w, r, CSRFField, limit); err != nil {
				return err
			}
		}
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return problem.New(problem.Forbidden, "the request lacks this session's CSRF token; reload the page and try again")
	}
	return nil
}

// IsCSRF reports whether err is RequireCSRF's refusal: most often a page
// left open past its session (signed out, or in again elsewhere), which a
// page says so, not as a lack of rights.
func IsCSRF(err error) bool {
	var pe *problem.Error
	return errors.As(err, &pe) && pe.Kind == problem.Forbidden && strings.Contains(pe.Format, "lacks this session's CSRF token")
}

// PostedField reads the field name of a posted URL-encoded form of at most
// limit bytes (nothing, without error, from a request of another type). A
// larger form is a 413 problem naming the limit: a form refused for its
// size must not read as one without the field.
func PostedField(w http.ResponseWriter, r *http.Request, name string, limit int64) (string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var large *http.MaxBytesError
		if errors.As(err, &large) {
			return "", problem.New(problem.TooLarge, "the form is larger than %d bytes", limit)
		}
		return "", nil
	}
	return r.PostForm.Get(name), nil
}
