package web

import (
	"html/template"
	"unicode"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/units"
)

// funcs are the template functions of one language: the shell's, which
// every module's pages have too.
func (s *Server) funcs(lang string) template.FuncMap {
	t := func(key string, args ...any) string {
		m, ok := s.cat.Lookup(lang, key, args...)
		if !ok {
			s.log.Error("missing translation", "lang", lang, "key", key)
			return key
		}
		return m
	}
	return template.FuncMap{
		"T": t,
		// optional returns the message key, or "" if there is none: for
		// hints, which only some fields have.
		"optional": func(key string) string { m, _ := s.cat.Lookup(lang, key); return m },
		// sentence is text shown as a sentence of its own, its first letter
		// upper case (a refusal's detail is written to follow a colon).
		"sentence": func(s string) string {
			r, n := utf8.DecodeRuneInString(s)
			if n == 0 || !unicode.IsLower(r) {
				return s
			}
			return string(unicode.ToUpper(r)) + s[n:]
		},
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
		// through writes a validity's end as the last day it covers.
		"through": i18n.Through,
		// unit is a unit's name with its province, "Toàn quốc" for VN.
		"unit": s.unitFunc(lang),
		"can": func(p *auth.Principal, action string) bool {
			return p != nil && auth.Can(p.Role, auth.Action(action))
		},
		"field":   formField,
		"fieldID": fieldID,
	}
}

// unitFunc is the template function unit in lang.
func (s *Server) unitFunc(lang string) func(code string) string {
	return func(code string) string {
		if code == "VN" {
			return s.cat.T(lang, "unit.VN")
		}
		return unitName(code)
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
