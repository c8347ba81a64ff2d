package engine

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/units"
)

// FieldsOf returns the values of a sector record for comparison: the
// commune and the province are its places (a commune of the province is
// compared as the commune).
func FieldsOf(r *sector.Record) reconcile.Fields {
	f := reconcile.Fields{
		FullName:    r.FullName,
		FamilyName:  r.FamilyName,
		MiddleName:  r.MiddleName,
		GivenName:   r.GivenName,
		BirthDate:   r.BirthDate,
		BirthDigits: r.BirthDigits,
		Sex:         r.Sex,
		PIN:         r.PIN,
		CMND:        r.CMND,
		Phone:       r.Phone,
	}
	switch {
	case r.Commune != "" && r.Province != "":
		f.Units = []string{r.Commune, r.Province}
	case r.Commune != "":
		f.Units = []string{r.Commune}
	case r.Province != "":
		f.Units = []string{r.Province}
	}
	if r.Commune == "" {
		f.Communes = r.Communes
	}
	return f
}

// titleCase writes a cleaned (lower-case) Vietnamese name the way the
// register does: each word capitalised. Register names are stored so;
// the index keeps only the cleaned form, and this restores it.
func titleCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		if start && r != ' ' {
			r = unicode.ToTitle(r)
		}
		start = r == ' '
		b.WriteRune(r)
	}
	return b.String()
}

// unitValue describes a unit of today's system for a correction: its name
// with type word and its key.
func unitValue(reg *units.Registry, code int, commune bool) (name, key string) {
	if code == 0 {
		return "", ""
	}
	key = fmt.Sprintf("%02d", code)
	if commune {
		key = fmt.Sprintf("%05d", code)
	}
	if u, ok := reg.Lookup(key); ok {
		return u.FullName(), key
	}
	return key, key
}
