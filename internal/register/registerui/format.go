package registerui

import (
	"fmt"
	"html/template"
	"reflect"
	"slices"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/web"
)

// funcs are the template functions of the register's pages in one
// language, beside the shell's (T, unit, date, …).
func funcs(l web.Locale) template.FuncMap {
	f := &formatter{t: l.T, unit: l.Unit, regions: display.Regions(language.Make(l.Lang))}
	return template.FuncMap{
		"ethnicity":   f.ethnicity,
		"religion":    f.religion,
		"country":     f.country,
		"sex":         f.sex,
		"changes":     f.changes,
		"addressLine": f.addressLine,
		"details":     f.details,
		"actor":       f.actor,
		"dateParts":   splitDate,
		"initials":    initials,
		"kinOf":       kinOf,
		"add": func(xs ...int) int {
			n := 0
			for _, x := range xs {
				n += x
			}
			return n
		},
	}
}

// formatter shows register codes and values in one language.
type formatter struct {
	t       func(key string, args ...any) string
	unit    func(code string) string
	regions display.Namer
}

func (f *formatter) ethnicity(code string) string {
	if e, ok := civil.EthnicityByCode(code); ok {
		return e.Name
	}
	return code
}

func (f *formatter) religion(code string) string {
	if code == "" || code == "00" {
		return f.t("religion.none")
	}
	if r, ok := civil.ReligionByCode(code); ok {
		return r.Name
	}
	return code
}

func (f *formatter) country(code string) string {
	if r, err := language.ParseRegion(code); err == nil && code != "" {
		if n := f.regions.Name(r); n != "" {
			return n
		}
	}
	return code
}

func (f *formatter) sex(x civil.Sex) string {
	if !x.Valid() {
		return ""
	}
	return f.t("sex." + x.String())
}

// addressLine is an address as written on a document: the detail, then the
// unit.
func (f *formatter) addressLine(a people.Address) string {
	parts := make([]string, 0, 2)
	if a.Detail != "" {
		parts = append(parts, a.Detail)
	}
	if a.Unit != "" {
		parts = append(parts, f.unit(a.Unit))
	}
	return strings.Join(parts, ", ")
}

// changeRow is one line of a history entry's table of changes.
type changeRow struct {
	Field    string
	Old, New string
}

// fieldOrder ranks the fields of a person as the register declares them,
// so that the changes of an event read in the order of the record.
var fieldOrder = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeFor[people.Person]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = i
	}
	return m
}()

// changes lists an event's changes in the order of the record; a PIN of a
// parent or spouse among kin (those the page could read) is shown with the
// name.
func (f *formatter) changes(cs map[string]people.Change, kin ...map[string]people.Person) []changeRow {
	rows := make([]changeRow, 0, len(cs))
	named := func(field string, v any) string {
		s := f.value(field, v)
		if pin, ok := v.(string); ok && strings.HasSuffix(field, "_pin") && len(kin) > 0 {
			if p, ok := kin[0][pin]; ok {
				s = p.FullName + " (" + pin + ")"
			}
		}
		return s
	}
	for field, c := range cs {
		rows = append(rows, changeRow{field, named(field, c.Old), named(field, c.New)})
	}
	slices.SortFunc(rows, func(a, b changeRow) int {
		oa, aok := fieldOrder[a.Field]
		ob, bok := fieldOrder[b.Field]
		switch {
		case aok && bok:
			return oa - ob
		case aok != bok: // known fields first
			if aok {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Field, b.Field)
	})
	return rows
}

// value shows the old or new value of a field in a history entry. Entries
// read back from the store hold decoded JSON (strings, maps), those made in
// memory the Go types; both are shown alike.
func (f *formatter) value(field string, v any) string {
	var s string
	switch x := v.(type) {
	case nil:
	case civil.Date:
		s = x.VN()
	case civil.Sex:
		s = f.sex(x)
	case people.Address:
		s = f.addressLine(x)
	case people.Status, people.Relation:
		s = f.value(field, fmt.Sprint(x))
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, f.value(field, e))
		}
		s = strings.Join(parts, "; ")
	case map[string]any:
		unit, _ := x["unit_code"].(string)
		detail, _ := x["detail"].(string)
		s = f.addressLine(people.Address{Unit: unit, Detail: detail})
	case string:
		s = f.text(field, x)
	default:
		s = fmt.Sprint(v)
	}
	if s == "" {
		return "—"
	}
	return s
}

// text shows a coded string value by what its field holds.
func (f *formatter) text(field, x string) string {
	if x == "" {
		return ""
	}
	switch field {
	case "birth_place", "hometown":
		return f.unit(x)
	case "ethnicity":
		return f.ethnicity(x)
	case "religion":
		return f.religion(x)
	case "nationality":
		return f.country(x)
	case "sex":
		if sx, err := civil.ParseSex(x); err == nil {
			return f.sex(sx)
		}
	case "status":
		return f.t("status." + x)
	case "relation_to_head":
		return f.t("relation." + x)
	}
	if strings.HasSuffix(field, "date") {
		if d, err := civil.ParseDate(x); err == nil {
			return d.VN()
		}
	}
	return x
}

// detailRow is one particular of an act (people.Event.Details): the message
// ID of its label and its value in words.
type detailRow struct {
	Label, Value string
}

// detailOrder is the order in which an act's particulars are shown.
var detailOrder = []string{
	people.DetailCourt, people.DetailJudgmentNumber, people.DetailJudgmentDate,
	people.DetailActualPlaceUnit, people.DetailActualPlaceDetail,
	people.DetailDeclarantName, people.DetailDeclarantRelation, people.DetailCertificateNumber,
	people.DetailAnnulledKind, people.DetailAnnulledEvent,
}

// details lists an act's particulars in a fixed order, in words.
func (f *formatter) details(d map[string]string) []detailRow {
	var rows []detailRow
	for _, k := range detailOrder {
		v, ok := d[k]
		if !ok || v == "" {
			continue
		}
		switch k {
		case people.DetailActualPlaceUnit:
			v = f.unit(v)
		case people.DetailAnnulledKind:
			v = f.t("kind." + v)
		default:
			v = f.text(k, v)
		}
		rows = append(rows, detailRow{"detail." + k, v})
	}
	return rows
}

// initials are the first letters of a name's first and last words, for the
// placeholder of a photo.
func initials(name string) string {
	words := strings.Fields(name)
	if len(words) == 0 {
		return ""
	}
	first := []rune(words[0])[:1]
	if len(words) == 1 {
		return string(first)
	}
	return string(first) + string([]rune(words[len(words)-1])[:1])
}

// kinView is a parent or spouse as the kin partial shows them.
type kinView struct {
	PIN    string
	Person *people.Person
}

// kinOf is the person with PIN pin among those read, or only the PIN.
func kinOf(kin map[string]people.Person, pin string) kinView {
	v := kinView{PIN: pin}
	if p, ok := kin[pin]; ok && pin != "" {
		v.Person = &p
	}
	return v
}

// actor is who registered an act, in words: the officer's name, role and
// unit at the time (people.DetailActorName, …); for acts without them,
// the legacy books or the account's name.
func (f *formatter) actor(e people.Event) string {
	if name := e.Details[people.DetailActorName]; name != "" {
		out := name
		if role := e.Details[people.DetailActorRole]; role != "" {
			out += " — " + f.t("role."+role)
			if u := e.Details[people.DetailActorUnit]; u != "" {
				out += ", " + f.unit(u)
			}
		}
		return out
	}
	kind, name, _ := strings.Cut(e.Actor, ":")
	switch kind {
	case "legacy":
		return f.t("actor.legacy")
	case "staff":
		return name
	}
	return e.Actor
}
