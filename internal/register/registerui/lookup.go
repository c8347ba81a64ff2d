package registerui

import (
	"net/http"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// lookupLimit is how many people the person picker lists.
const lookupLimit = 10

// lookupPerson is a person as the picker of a PIN field shows them.
type lookupPerson struct {
	PIN       string `json:"pin"`
	FullName  string `json:"full_name"`
	BirthDate string `json:"birth_date"` // dd/mm/yyyy
	Sex       string `json:"sex"`
	Status    string `json:"status"`
	Household string `json:"household_id,omitempty"`
	Unit      string `json:"unit_code,omitempty"`
}

type lookupAnswer struct {
	Items []lookupPerson `json:"items"`
	// Message is why nothing is listed, in the officer's language.
	Message string `json:"message,omitempty"`
}

// lookup is /register/lookup, the person picker of the civil-event forms'
// PIN fields (register.js): ?pin= reads the person (Register.Get), ?name=
// and ?birth= search (Register.Search). Both are reads of the register,
// authorised and audited as the pages' are; an officer is shown only the
// people within their reach, and a refusal reads as "not found".
func (s *pages) lookup(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	q := r.URL.Query()
	cat, lang := s.kit.Catalog(), s.kit.Lang(r)
	var out lookupAnswer
	say := func(err error) error {
		switch problem.KindOf(err) {
		case problem.Invalid:
			var pe *problem.Error
			if e, ok := err.(*problem.Error); ok {
				pe = e
			}
			if pe != nil && len(pe.Fields) > 0 {
				fe := pe.Fields[0]
				out.Message = cat.Reason(lang, fe.Format, fe.Reason, fe.Args...)
			}
		case problem.NotFound, problem.Forbidden:
			out.Message = cat.T(lang, "lookup.none")
		default:
			return err
		}
		out.Items = []lookupPerson{}
		return httpx.WriteJSON(w, http.StatusOK, out)
	}
	if pin := strings.TrimSpace(q.Get("pin")); pin != "" {
		rec, err := s.reg.Get(r.Context(), p, pin)
		if err != nil {
			return say(err)
		}
		out.Items = []lookupPerson{pickerView(rec)}
		return httpx.WriteJSON(w, http.StatusOK, out)
	}
	query := register.Query{Name: q.Get("name"), Limit: lookupLimit}
	if b := strings.TrimSpace(q.Get("birth")); b != "" {
		d, err := civil.ParseDate(b)
		if err != nil {
			out.Message, out.Items = cat.T(lang, "error.date"), []lookupPerson{}
			return httpx.WriteJSON(w, http.StatusOK, out)
		}
		query.BirthDate = d
	}
	found, _, err := s.reg.Search(r.Context(), p, query)
	if err != nil {
		return say(err)
	}
	out.Items = make([]lookupPerson, 0, len(found))
	for _, f := range found {
		out.Items = append(out.Items, pickerView(f))
	}
	if len(out.Items) == 0 {
		out.Message = cat.T(lang, "lookup.none")
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func pickerView(p people.Person) lookupPerson {
	return lookupPerson{PIN: p.PIN, FullName: p.FullName, BirthDate: p.BirthDate.VN(), Sex: p.Sex.String(),
		Status: string(p.Status), Household: p.HouseholdID, Unit: p.Permanent.Unit}
}
