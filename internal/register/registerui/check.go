package registerui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web"
)

// The steps of a civil-event form, in the hidden field "step": the form is
// sent first to the check page ("check your answers"), which shows whom it
// names and what it will record; from there it is committed or taken back
// to the form to change.
const (
	stepCommit = "commit"
	stepEdit   = "edit"
)

// checkView is the data of event_check.html.
type checkView struct {
	Slug   string
	Rows   []checkRow
	People []checkPerson
	Act    *people.Event // the act an annulment voids
	Hidden []hiddenValue // the form's values, sent again with the answer
}

// checkRow is one answer: the field's label and its value in words (a
// message ID, a unit to name, or the text).
type checkRow struct {
	Name, Label, Type string
	Value             string
	Key               string // message ID of the value (a choice)
}

// checkPerson is a person the form names by PIN, as the officer may see
// them: the record, or only the PIN when it is outside their reach (the
// register decides on commit).
type checkPerson struct {
	Field  string // the field's name (mother_pin, pin1, …)
	Label  string // message ID overriding field.<Field>
	PIN    string
	Person *people.Person
}

type hiddenValue struct{ Name, Value string }

// dateParts are the inputs of a date asked as day, month and year.
var dateParts = []string{"day", "month", "year"}

// joinDates sets each date field of the form from its day, month and year
// inputs (name.day, name.month, name.year), when it was asked that way:
// "05/12/2026", "12/2026" or "2026"; empty when all three are; the parts
// as typed otherwise, for the date's error.
func joinDates(f *web.Form, names []string) {
	for _, n := range names {
		var parts [3]string
		given := false
		for i, p := range dateParts {
			if _, ok := f.Values[n+"."+p]; ok {
				given = true
			}
			parts[i] = strings.TrimSpace(f.Values.Get(n + "." + p))
			delete(f.Values, n+"."+p)
		}
		if !given {
			continue
		}
		switch {
		case parts == [3]string{}:
			f.Values.Set(n, "")
		case parts[0] == "" && parts[1] == "":
			f.Values.Set(n, parts[2])
		case parts[0] == "":
			f.Values.Set(n, pad2(parts[1])+"/"+parts[2])
		default:
			f.Values.Set(n, pad2(parts[0])+"/"+pad2(parts[1])+"/"+parts[2])
		}
	}
}

func pad2(s string) string {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < 10 && len(s) == 1 {
		return fmt.Sprintf("%02d", n)
	}
	return s
}

// splitDate is a date field's value as the day, month and year inputs show
// it: a date that parses is split; anything else goes to the day, for the
// officer to see what they typed.
func splitDate(v string) [3]string {
	if v == "" {
		return [3]string{}
	}
	d, err := civil.ParseDate(v)
	if err != nil {
		// As typed, each part back in its box ("31/02/2025": February
		// has no 31st), from joinDates's day/month/year, month/year or
		// year.
		switch p := strings.Split(v, "/"); len(p) {
		case 3:
			return [3]string{p[0], p[1], p[2]}
		case 2:
			return [3]string{"", p[0], p[1]}
		default:
			return [3]string{"", "", v}
		}
	}
	out := [3]string{"", "", strconv.Itoa(d.Year)}
	if d.Month != 0 {
		out[1] = fmt.Sprintf("%02d", d.Month)
	}
	if d.Day != 0 {
		out[0] = fmt.Sprintf("%02d", d.Day)
	}
	return out
}

// fieldsOfType are the names of the form's fields of a type.
func (ef *eventSpec) fieldsOfType(typ string) []string {
	var out []string
	for _, g := range ef.groups {
		for _, fs := range g.Fields {
			if fs.Type == typ {
				out = append(out, fs.Name)
			}
		}
	}
	return out
}

// check reads the form for its check page: each field's answer in words,
// and each person it names by PIN, read from the register (a read, guarded
// and audited as one). A required field left empty, a date that does not
// parse and a PIN the register does not know are the form's errors.
func (s *pages) check(ctx context.Context, ef *eventSpec, p auth.Principal, f *web.Form) (checkView, error) {
	v := checkView{Slug: ef.slug}
	for _, g := range ef.groups {
		for _, fs := range g.Fields {
			val := f.Get(fs.Name)
			if val == "" {
				if fs.Required {
					f.Fail(fs.Name, "error.required")
				}
				continue
			}
			row := checkRow{Name: fs.Name, Label: fs.Label, Type: fs.Type, Value: val}
			switch fs.Type {
			case "date":
				if d := f.Date(fs.Name); !d.IsZero() {
					row.Value = d.VN()
				}
			case "select", "radio":
				if fs.Options != nil {
					if i := slices.IndexFunc(fs.Options(), func(o web.Option) bool { return o.Value == val }); i >= 0 {
						o := fs.Options()[i]
						row.Key, row.Value = o.Key, o.Text
					}
				}
			case "pin":
				cp, err := s.named(ctx, p, fs, val)
				if err != nil {
					f.AddProblem(renamed(err, fs.Name, val))
					continue
				}
				v.People = append(v.People, cp)
			}
			v.Rows = append(v.Rows, row)
		}
	}
	if ef.slug == "annulment" && len(v.People) == 1 && v.People[0].Person != nil {
		h, err := s.reg.History(ctx, p, v.People[0].PIN)
		if err != nil {
			return v, err
		}
		i := slices.IndexFunc(h, func(e people.Event) bool { return e.EventID == f.Get("event_id") })
		if i < 0 {
			f.Fail("event_id", "error.event_unknown")
		} else {
			v.Act = &h[i]
		}
	}
	keys := make([]string, 0, len(f.Values))
	for k := range f.Values {
		if k != "csrf" && k != "step" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.Hidden = append(v.Hidden, hiddenValue{k, f.Get(k)})
	}
	return v, nil
}

// named reads the person a PIN field names, for the check page: one out
// of the officer's reach is shown by PIN only, the register deciding on
// commit whether the event may concern them; a malformed or unknown PIN is
// the field's error.
func (s *pages) named(ctx context.Context, p auth.Principal, fs fieldSpec, pin string) (checkPerson, error) {
	cp := checkPerson{Field: fs.Name, Label: fs.Label, PIN: pin}
	rec, err := s.reg.Get(ctx, p, pin)
	switch {
	case err == nil:
		cp.Person = &rec
	case problem.Is(err, problem.Forbidden):
	default:
		return cp, err
	}
	return cp, nil
}

// renamed is err from the register's read of pin with its field (pin)
// named as the form's field, so that the error shows beside it; a refusal
// without a field (a nation-wide officer told a PIN is unknown) gets it.
func renamed(err error, to, pin string) error {
	pe, ok := err.(*problem.Error)
	if !ok {
		return err
	}
	out := *pe
	out.Fields = nil
	for _, fe := range pe.Fields {
		if fe.Field == "pin" {
			fe.Field = to
		}
		out.Fields = append(out.Fields, fe)
	}
	if len(out.Fields) == 0 && pe.Kind == problem.NotFound {
		out.Fields = []problem.FieldError{problem.NewFieldError(to, "no person with PIN %s in the register", pin)}
	}
	return &out
}
