package web

import (
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
)

// funcs are the template functions of one language.
func (s *Server) funcs(lang string) template.FuncMap {
	t := func(key string, args ...any) string {
		m, ok := s.cat.Lookup(lang, key, args...)
		if !ok {
			s.log.Error("missing translation", "lang", lang, "key", key)
			return key
		}
		return m
	}
	regions := display.Regions(language.Make(lang))
	return template.FuncMap{
		"T": t,
		// optional returns the message key, or "" if there is none: for
		// hints, which only some fields have.
		"optional": func(key string) string { m, _ := s.cat.Lookup(lang, key); return m },
		// label is a field's name as shown, falling back to its JSON name
		// for fields the register reports but no form shows.
		"label": func(field string) string {
			if m, ok := s.cat.Lookup(lang, "field."+field); ok {
				return m
			}
			return field
		},
		"date": i18n.Date,
		"time": i18n.Time,
		"unit": func(code string) string {
			if code == "VN" {
				return t("unit.VN")
			}
			return unitName(code)
		},
		"ethnicity": func(code string) string {
			if e, ok := civil.EthnicityByCode(code); ok {
				return e.Name
			}
			return code
		},
		"religion": func(code string) string {
			if rel, ok := civil.ReligionByCode(code); ok {
				return rel.Name
			}
			return code
		},
		"country": func(code string) string {
			if r, err := language.ParseRegion(code); err == nil && code != "" {
				if n := regions.Name(r); n != "" {
					return n
				}
			}
			return code
		},
		"sex": func(x civil.Sex) string {
			if !x.Valid() {
				return ""
			}
			return t("sex." + x.String())
		},
		"can": func(p *auth.Principal, action string) bool {
			return p != nil && auth.Can(p.Role, auth.Action(action))
		},
		"canAnyEvent": func(p *auth.Principal) bool {
			return p != nil && slices.ContainsFunc(eventForms, func(ef *eventSpec) bool { return auth.Can(p.Role, ef.action) })
		},
		"change":      func(field string, v any) string { return changeValue(t, field, v) },
		"field":       formField,
		"fieldID":     fieldID,
		"addressLine": addressLine,
	}
}

// unitName is a unit's full name with its province ("Phường Ba Đình,
// Thành phố Hà Nội"), or the code itself when the dataset does not know it.
func unitName(code string) string {
	if code == "" {
		return ""
	}
	reg := units.Default()
	u, ok := reg.Lookup(code)
	if !ok {
		return code
	}
	name := u.FullName()
	if k, ok := u.ParentKey(); ok {
		if p, ok := reg.Lookup(k.String()); ok {
			name += ", " + p.FullName()
		}
	}
	return name
}

// addressLine is an address as written on a document: the detail, then the
// unit.
func addressLine(a register.Address) string {
	parts := make([]string, 0, 2)
	if a.Detail != "" {
		parts = append(parts, a.Detail)
	}
	if a.Unit != "" {
		parts = append(parts, unitName(a.Unit))
	}
	return strings.Join(parts, ", ")
}

// unitFields are the fields (of persons and event changes) that hold a unit
// code.
var unitFields = map[string]bool{"birth_place": true, "hometown": true, "unit_code": true}

// changeValue shows the old or new value of a field in a history entry.
// Entries read back from the store hold decoded JSON (strings, maps), those
// made in memory the Go types; both are shown alike.
func changeValue(t func(string, ...any) string, field string, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case civil.Date:
		return x.VN()
	case civil.Sex:
		return t("sex." + x.String())
	case register.Address:
		return addressLine(x)
	case register.Status, register.Relation:
		return changeValue(t, field, fmt.Sprint(x))
	case map[string]any:
		unit, _ := x["unit_code"].(string)
		detail, _ := x["detail"].(string)
		return addressLine(register.Address{Unit: unit, Detail: detail})
	case string:
		switch {
		case x == "":
			return "—"
		case unitFields[field]:
			return unitName(x)
		case field == "sex":
			if sx, err := civil.ParseSex(x); err == nil {
				return t("sex." + sx.String())
			}
		case field == "status":
			return t("status." + x)
		case field == "relation_to_head":
			return t("relation." + x)
		case strings.HasSuffix(field, "date") || field == "issued" || field == "expires":
			if d, err := civil.ParseDate(x); err == nil {
				return d.VN()
			}
		}
		return x
	}
	return fmt.Sprint(v)
}

// endOfDay is the last instant of day d in Vietnam: a record "as of" a day
// is the record as that day closed.
func endOfDay(d civil.Date) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day+1, 0, 0, 0, 0, i18n.Vietnam).Add(-time.Nanosecond)
}
