package register

import (
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// term is a word inside a rule's reason ("deceased", "male", "the head of
// the household"): a problem.Formatted whose format is the word itself, so
// that a page translates it with the reason (i18n.Catalog.Reason), where
// the API shows the English word. Every term is made by a call of term
// with a constant, which the catalog test of internal/i18n finds.
type term string

// FormatArgs returns the word as its own format.
func (t term) FormatArgs() (string, []any) { return string(t), nil }

// statusTerm is a person's status in words.
func statusTerm(s people.Status) any {
	switch s {
	case people.Alive:
		return term("alive")
	case people.Deceased:
		return term("deceased")
	case people.Missing:
		return term("declared missing")
	}
	return string(s)
}

// sexTerm is a sex in words.
func sexTerm(s civil.Sex) any {
	switch s {
	case civil.Male:
		return term("male")
	case civil.Female:
		return term("female")
	}
	return term("of unknown sex")
}

// relationTerm is a relation to the head of a household in words; an
// unknown relation is as given.
func relationTerm(r people.Relation) any {
	switch r {
	case people.Head:
		return term("head of the household")
	case people.Spouse:
		return term("spouse of the head")
	case people.Child:
		return term("child of the head")
	case people.Parent:
		return term("parent of the head")
	case people.Grandchild:
		return term("grandchild of the head")
	case people.Grandparent:
		return term("grandparent of the head")
	case people.Sibling:
		return term("sibling of the head")
	case people.ChildInLaw:
		return term("child-in-law of the head")
	case people.OtherKin:
		return term("other kin of the head")
	case people.Other:
		return term("not related to the head")
	}
	return string(r)
}

// day is a date as reasons show it in every language: dd/mm/yyyy (or
// mm/yyyy, yyyy for a partial date).
func day(d civil.Date) string { return d.VN() }

// reasonText is a reason given as text by another package's rule (a name
// under people.NormalizeName), kept as a problem.Formatted error so that a
// page translates it.
type reasonText string

func (r reasonText) Error() string { return string(r) }

// FormatArgs returns the reason as its own format.
func (r reasonText) FormatArgs() (string, []any) { return string(r), nil }

// kindTerm is a kind of civil act in words.
func kindTerm(k people.EventKind) any {
	switch k {
	case people.KindImport:
		return term("import from a legacy system")
	case people.KindAnnulment:
		return term("annulment")
	}
	return string(k)
}

// conflict makes a field error a conflict with the register's state (409),
// keeping its field and translatable reason, so that a page shows the
// reason beside the field in the officer's language.
func conflict(e *problem.Error) *problem.Error {
	e.Kind, e.Detail = problem.Conflict, "The request conflicts with the register"
	return e
}
