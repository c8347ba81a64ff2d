package registerui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/web"
)

// allowedEvents returns the civil-event forms p's role may use, for menus.
func allowedEvents(p auth.Principal) []string {
	var slugs []string
	for _, ef := range eventForms {
		if auth.Can(p.Role, ef.action) {
			slugs = append(slugs, ef.slug)
		}
	}
	return slugs
}

// searchPageSize is the number of people on a page of search results.
const searchPageSize = 20

type searchView struct {
	Form     *web.Form
	Searched bool
	Results  []people.Person
	Next     string // URL of the next page, if any
	First    string // URL of the first page, when on a later one
}

// search is /register/search?name=&birth=&unit=: a name (diacritics
// optional), a date of birth (DD/MM/YYYY, MM/YYYY or YYYY) and a unit code.
func (s *pages) search(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	q := r.URL.Query()
	f := s.kit.NewForm(r, q)
	v := searchView{Form: f}
	if f.Get("name") == "" && f.Get("birth") == "" && f.Get("unit") == "" {
		s.kit.Render(w, r, http.StatusOK, "search", "search.title", "search", v)
		return nil
	}
	query := register.Query{Name: f.Get("name"), BirthDate: f.Date("birth"), Unit: f.Get("unit"), Limit: searchPageSize, Cursor: f.Get("cursor")}
	if f.Failed() {
		s.kit.Render(w, r, http.StatusUnprocessableEntity, "search", "search.title", "search", v)
		return nil
	}
	people, next, err := s.reg.Search(r.Context(), p, query)
	if problem.Is(err, problem.Invalid) {
		f.AddProblem(err)
		s.kit.Render(w, r, http.StatusUnprocessableEntity, "search", "search.title", "search", v)
		return nil
	}
	if err != nil {
		return err
	}
	v.Searched, v.Results = true, people
	page := url.Values{}
	for _, k := range []string{"name", "birth", "unit"} {
		if x := f.Get(k); x != "" {
			page.Set(k, x)
		}
	}
	if query.Cursor != "" {
		v.First = "/register/search?" + page.Encode()
	}
	if next != "" {
		page.Set("cursor", next)
		v.Next = "/register/search?" + page.Encode()
	}
	s.kit.Render(w, r, http.StatusOK, "search", "search.title", "search", v)
	return nil
}

// openPerson is the "open a record by PIN" form of the dashboard: a GET
// form cannot put the PIN into the path itself.
func (s *pages) openPerson(w http.ResponseWriter, r *http.Request) error {
	pin := strings.TrimSpace(r.URL.Query().Get("pin"))
	if pin == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/register/persons/"+url.PathEscape(pin), http.StatusSeeOther)
	return nil
}

type personView struct {
	Person    people.Person
	AsOf      civil.Date // the day shown, zero for the current record
	Form      *web.Form  // the as-of picker
	Household *people.Household
	Members   []people.Member
	History   []people.Event // newest first
	Events    []string       // civil-event forms the officer may open from here
}

// person is /register/persons/{pin}[?asof=YYYY-MM-DD].
func (s *pages) person(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	ctx := r.Context()
	pin := r.PathValue("pin")
	f := s.kit.NewForm(r, r.URL.Query())
	v := personView{Form: f, Events: allowedEvents(p)}
	var err error
	if asof := f.Date("asof"); !asof.IsZero() && !asof.Full() {
		f.Fail("asof", "error.full_date")
	} else if !asof.IsZero() {
		v.Person, err = s.reg.GetAsOf(ctx, p, pin, asof)
		switch {
		case problem.Is(err, problem.NotFound):
			// Not born or not registered yet on that day: show today's
			// record, and say so.
			f.Fail("asof", "error.asof_missing", asof.VN())
		case problem.Is(err, problem.Invalid):
			f.Fail("asof", "error.asof_future", asof.VN())
		default:
			v.AsOf = asof
		}
	}
	if v.AsOf.IsZero() {
		v.Person, err = s.reg.Get(ctx, p, pin)
	}
	if err != nil {
		return err
	}
	if id := v.Person.HouseholdID; id != "" {
		var h people.Household
		var members []people.Member
		if v.AsOf.IsZero() {
			h, members, err = s.reg.Household(ctx, p, id)
		} else {
			h, members, err = s.reg.HouseholdAsOf(ctx, p, id, v.AsOf)
		}
		switch {
		case err == nil:
			v.Household, v.Members = &h, members
		case !problem.Is(err, problem.NotFound) && !problem.Is(err, problem.Forbidden):
			return err
		}
	}
	if v.History, err = s.reg.History(ctx, p, pin); err != nil {
		return err
	}
	slices.Reverse(v.History)
	s.kit.Render(w, r, http.StatusOK, "person", "person.title", "search", v)
	return nil
}

type householdView struct {
	Household people.Household
	Members   []people.Member
}

// household is /register/households/{id}.
func (s *pages) household(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	h, members, err := s.reg.Household(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.kit.Render(w, r, http.StatusOK, "household", "household.title", "search", householdView{h, members})
	return nil
}
