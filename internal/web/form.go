package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
)

// Form is a submitted (or prefilled) form with its errors, kept so that a
// form with mistakes comes back with what the officer typed.
//
// Field names are the JSON names of the register's request structs
// ("birth_date", "father_pin", "address.unit_code"), so the field errors the
// register returns land on the right input.
type Form struct {
	Values url.Values
	errs   []problem.FieldError
	// Detail explains an error that names no field (a conflict with the
	// register's state, for instance).
	Detail string
	lang   string
	cat    *i18n.Catalog
	// labels are the message IDs of the fields' labels on this form
	// (SetLabel).
	labels map[string]string
}

// parseForm reads a posted form of at most limit bytes.
func parseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	err := r.ParseForm()
	var large *http.MaxBytesError
	switch {
	case errors.As(err, &large):
		return problem.New(problem.TooLarge, "the form is larger than %d bytes", limit)
	case err != nil:
		return &problem.Error{Kind: problem.Invalid, Status: http.StatusBadRequest, Detail: "the form cannot be read"}
	}
	return nil
}

func newForm(values url.Values, lang string, cat *i18n.Catalog) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Values: values, lang: lang, cat: cat}
}

// Message is the catalog's message key in the form's language, if there
// is one (a name the catalog translates: a purpose of the exchange's).
func (f *Form) Message(key string) (string, bool) {
	if f.cat == nil {
		return "", false
	}
	return f.cat.Lookup(f.lang, key)
}

// Get returns the trimmed value of a field.
func (f *Form) Get(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// SetLabel names the message ID of a field's label on this form, which the
// error summary then uses (field.<name> otherwise, the register's words).
func (f *Form) SetLabel(name, key string) {
	if f.labels == nil {
		f.labels = map[string]string{}
	}
	f.labels[name] = key
}

// LabelOf is the label's message ID SetLabel gave the field, or "".
func (f *Form) LabelOf(name string) string { return f.labels[name] }

// Errors lists every field error, in the order found.
func (f *Form) Errors() []problem.FieldError { return f.errs }

// ErrorsOf returns the reasons a field is wrong.
func (f *Form) ErrorsOf(name string) []string {
	var out []string
	for _, e := range f.errs {
		if e.Field == name {
			out = append(out, e.Reason)
		}
	}
	return out
}

// Failed reports whether the form has any error.
func (f *Form) Failed() bool { return len(f.errs) > 0 || f.Detail != "" }

// Fail records that a field is wrong, with a message from the catalog
// (its ID and arguments) in the form's language.
func (f *Form) Fail(name, key string, args ...any) {
	f.errs = append(f.errs, problem.FieldError{Field: name, Reason: f.cat.T(f.lang, key, args...)})
}

// AddProblem takes the field errors (or the detail) of an error from the
// register.
func (f *Form) AddProblem(err error) {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return
	}
	for _, fe := range pe.Fields {
		fe.Reason = f.cat.Reason(f.lang, fe.Format, fe.Reason, fe.Args...)
		f.errs = append(f.errs, fe)
	}
	if len(pe.Fields) == 0 {
		// In the form's language: as written in English, translated
		// where the catalog has it, else the kind's own explanation.
		orig := ""
		if f.lang == i18n.English {
			orig = pe.Detail
		}
		if f.Detail = f.cat.Reason(f.lang, pe.Format, orig, pe.Args...); f.Detail == "" {
			f.Detail = f.cat.T(f.lang, "error."+string(pe.Kind)+".text")
		}
	}
}

// Date parses an optional date field, DD/MM/YYYY or YYYY-MM-DD (the value
// of a date input), or a partial one; a wrong one is recorded as the
// field's error, and gives the zero date.
func (f *Form) Date(name string) civil.Date {
	s := f.Get(name)
	if s == "" {
		return civil.Date{}
	}
	d, err := civil.ParseDate(s)
	if err != nil {
		f.failDate(name, err)
	}
	return d
}

// failDate records a date's error: what does not exist in the calendar
// said so (February 2025 has no 31st), else how to write a date.
func (f *Form) failDate(name string, err error) {
	var de *civil.DateError
	if !errors.As(err, &de) {
		f.Fail(name, "error.date")
		return
	}
	switch a := de.Args; {
	case strings.Contains(de.Format, "day %d does not exist in") && len(a) == 5:
		f.Fail(name, "error.date_no_day", a[3], a[2], a[1], a[4])
	case strings.Contains(de.Format, "month %d does not exist") && len(a) == 2:
		f.Fail(name, "error.date_no_month", a[1])
	case strings.Contains(de.Format, "is outside 1800–2399") && len(a) == 2:
		f.Fail(name, "error.date_year", a[1])
	default:
		f.Fail(name, "error.date")
	}
}

// Sex parses an optional sex field (M or F); a wrong one is recorded as
// the field's error.
func (f *Form) Sex(name string) civil.Sex {
	s := f.Get(name)
	if s == "" {
		return civil.SexUnknown
	}
	x, err := civil.ParseSex(s)
	if err != nil {
		f.Fail(name, "error.choice")
	}
	return x
}

// Option is one choice of a select or radio group: its label is a message
// ID (Key) or, for proper names, the text itself.
type Option struct {
	Value string
	// Key is the label's message; with Text too, Text is the label where
	// the catalog has no such message (a name only some languages give).
	Key  string
	Text string
	// Suffix follows the label as it is (a code).
	Suffix string
	// Checked: a box of a checkboxes field, ticked.
	Checked bool
	// Hidden: a box or button not offered now (a script may offer it).
	Hidden bool
}

// FormField is what the field partial renders: {{template "field" .}}.
type FormField struct {
	Name     string
	ID       string
	Type     string // text, pin, unit, date, password, select, radio, checkboxes, textarea
	Required bool
	Value    string
	Errors   []string
	Options  []Option
	Label    string // message ID overriding field.<Name>
	// Hint is the message ID of the field's hint, where a form names its
	// own (shown if the catalog has it), in place of hint.<Name>, which is
	// the register's for the common names (a relying party's name is not
	// a person's).
	Hint string
}

// Field returns one of the form's fields, with its value and errors, for
// the field partial; a template has it as field .Form "name" "type"
// required. Its options and label are the caller's to set.
func (f *Form) Field(name, typ string, required bool) FormField {
	return FormField{Name: name, ID: fieldID(name), Type: typ, Required: required, Value: f.Get(name), Errors: f.ErrorsOf(name)}
}

// Labelled is Field with its label's message ID, which the error summary
// then names the field by too (SetLabel).
func (f *Form) Labelled(name, typ string, required bool, label string) FormField {
	f.SetLabel(name, label)
	ff := f.Field(name, typ, required)
	ff.Label = label
	return ff
}

// formField is the template function field.
func formField(f *Form, name, typ string, required bool) FormField {
	return f.Field(name, typ, required)
}

// fieldID is the element id of a field's input, for <label for> and for
// the links of the error summary.
func fieldID(name string) string {
	return "f-" + strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(name)
}
