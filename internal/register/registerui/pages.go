package registerui

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	pinpkg "github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/web"
)

// allowedEvents returns the civil-event forms p's role may use, for menus.
func allowedEvents(p auth.Principal) []string {
	var slugs []string
	for _, ef := range eventForms {
		if auth.Can(p.Role, ef.action) || ef.also != "" && auth.Can(p.Role, ef.also) {
			slugs = append(slugs, ef.slug)
		}
	}
	return slugs
}

// searchPageSize is the number of people on a page of search results.
const searchPageSize = 20

// maxShownCount is the most results a search page counts (register.Count
// counts one more to say "more than").
const maxShownCount = 1000

// maxBack bounds the pages a search remembers for going back.
const maxBack = 50

type searchView struct {
	Form     *web.Form
	Searched bool
	Results  []people.Person
	Count    int    // how many the search finds, up to register's bound
	More     bool   // more than Count
	Next     string // URL of the next page, if any
	Prev     string // URL of the previous page, when on a later one
	First    string // URL of the first page, when on a later one
	From     int    // the rank of the first result shown
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
	if v.Count, err = s.reg.Count(r.Context(), p, query); err != nil {
		return err
	}
	if v.Count > maxShownCount {
		v.Count, v.More = maxShownCount, true
	}
	// The cursors of the pages before this one ride in the links ("back",
	// "-" for the first page), so that the officer can page both ways.
	var back []string
	if b := f.Get("back"); b != "" {
		back = strings.Split(b, ",")
	}
	if len(back) > maxBack {
		back = back[len(back)-maxBack:]
	}
	v.From = len(back)*searchPageSize + 1
	link := func(cursor string, back []string) string {
		page := url.Values{}
		for _, k := range []string{"name", "birth", "unit"} {
			if x := f.Get(k); x != "" {
				page.Set(k, x)
			}
		}
		if cursor != "" && cursor != "-" {
			page.Set("cursor", cursor)
		}
		if len(back) > 0 {
			page.Set("back", strings.Join(back, ","))
		}
		return "/register/search?" + page.Encode()
	}
	if query.Cursor != "" {
		v.First = link("", nil)
		if len(back) > 0 {
			v.Prev = link(back[len(back)-1], back[:len(back)-1])
		}
	}
	if next != "" {
		here := query.Cursor
		if here == "" {
			here = "-"
		}
		v.Next = link(next, append(slices.Clone(back), here))
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
	if _, _, err := pinpkg.Parse(pin); err != nil {
		// Back to the dashboard's box, which says what is wrong.
		http.Redirect(w, r, "/?pin="+url.QueryEscape(pin)+"#open-pin", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/register/persons/"+url.PathEscape(pin), http.StatusSeeOther)
	return nil
}

// pinCard is the data of the dashboard's PIN box: empty, or, sent back by
// openPerson, the PIN typed with what is wrong with it.
func pinCard(k *web.Kit) func(r *http.Request) any {
	return func(r *http.Request) any {
		f := k.NewForm(r, nil)
		if v := strings.TrimSpace(r.URL.Query().Get("pin")); v != "" {
			f.Values.Set("pin", v)
			if _, _, err := pinpkg.Parse(v); err != nil {
				f.AddProblem(problem.Field("pin", "%v", err))
			}
		}
		return f
	}
}

type personView struct {
	Person    people.Person
	AsOf      civil.Date // the day shown, zero for the current record
	Form      *web.Form  // the as-of picker
	Household *people.Household
	Members   []people.Member
	History   []people.Event // newest first
	// Kin are the parents and spouse the officer may read, by PIN, for
	// their names beside the PINs.
	Kin map[string]people.Person
	// Actions are the civil events the officer may register from here
	// that make sense for the person now (no marriage for a child).
	Actions []actionLink
	// Annul is the act of the history that may be annulled: the latest
	// in force, when the officer may annul.
	Annul string
}

// actionLink is a civil-event form opened for the person shown.
type actionLink struct {
	Slug string
	// Query is the form's prefilled fields, encoded here (a plain string
	// in the link's query would have its "=" escaped by the template,
	// and the form would open empty).
	Query template.URL
}

// person is /register/persons/{pin}[?asof=YYYY-MM-DD].
func (s *pages) person(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	ctx := r.Context()
	pin := r.PathValue("pin")
	f := s.kit.NewForm(r, r.URL.Query())
	joinDates(f, []string{"asof"})
	v := personView{Form: f}
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
	v.Kin = map[string]people.Person{}
	for _, k := range []string{v.Person.FatherPIN, v.Person.MotherPIN, v.Person.SpousePIN} {
		if k == "" {
			continue
		}
		// A read, audited; one out of reach is shown by PIN only.
		switch kin, err := s.reg.Get(ctx, p, k); {
		case err == nil:
			v.Kin[k] = kin
		case !problem.Is(err, problem.Forbidden) && !problem.Is(err, problem.NotFound):
			return err
		}
	}
	if v.AsOf.IsZero() {
		allowed := allowedEvents(p)
		v.Actions = actionsFor(v.Person, allowed, civil.InVietnam(time.Now()))
		if slices.Contains(allowed, "annulment") {
			if e := annullable(v.History); e != nil {
				if a, ok := register.ActionOf(e.Kind); ok && auth.Can(p.Role, a) {
					v.Annul = e.EventID
				}
			}
		}
	}
	s.kit.Render(w, r, http.StatusOK, "person", "person.title", "search", v)
	return nil
}

type householdView struct {
	Household people.Household
	Members   []people.Member
	// Birth: the officer may register a birth, into this household from
	// here.
	Birth bool
}

// household is /register/households/{id}.
func (s *pages) household(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	h, members, err := s.reg.Household(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.kit.Render(w, r, http.StatusOK, "household", "household.title", "search", householdView{h, members, slices.Contains(allowedEvents(p), "birth")})
	return nil
}

// actionsFor are the civil events that make sense for p on day today,
// among those allowed, each with the form's fields for p filled in.
func actionsFor(p people.Person, allowed []string, today civil.Date) []actionLink {
	var out []actionLink
	add := func(slug string, kv ...string) {
		if !slices.Contains(allowed, slug) {
			return
		}
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		out = append(out, actionLink{slug, template.URL(q.Encode())})
	}
	if p.Status != people.Alive {
		if p.Status == people.Deceased {
			add("correction", "pin", p.PIN)
		}
		return out
	}
	age := ageOn(p.BirthDate, today)
	if age >= minParentAge {
		if p.Sex == civil.Female {
			add("birth", "mother_pin", p.PIN)
		} else {
			add("birth", "father_pin", p.PIN)
		}
	}
	add("death", "pin", p.PIN)
	marriageAge := 18
	if p.Sex == civil.Male {
		marriageAge = 20
	}
	if p.SpousePIN == "" && age >= marriageAge {
		add("marriage", "pin1", p.PIN)
	}
	if p.SpousePIN != "" {
		add("divorce", "pin1", p.PIN, "pin2", p.SpousePIN)
	}
	add("residence", "pin", p.PIN)
	if !p.Permanent.IsZero() || !p.Temporary.IsZero() {
		add("residence-removal", "pin", p.PIN)
	}
	if p.HouseholdID != "" && p.Relation != people.Head {
		add("head-change", "household_id", p.HouseholdID, "new_head_pin", p.PIN)
	}
	add("correction", "pin", p.PIN)
	return out
}

// minParentAge is the least age at which the birth form is offered from a
// person's page (the register's rule: a parent is at least 12 years older).
const minParentAge = 12

// ageOn is the age in whole years on day d, the smallest a partial date
// of birth allows.
func ageOn(birth, d civil.Date) int {
	b, at := birth.Latest(), d.Earliest()
	age := at.Year() - b.Year()
	if at.Month() < b.Month() || at.Month() == b.Month() && at.Day() < b.Day() {
		age--
	}
	return age
}

// annullable is the act of a history (newest first) that an annulment may
// void: the latest act not annulled, unless it is an import; nil when none.
func annullable(history []people.Event) *people.Event {
	voided := map[string]bool{}
	for i, e := range history {
		switch {
		case e.Kind == people.KindAnnulment:
			voided[e.Details[people.DetailAnnulledEvent]] = true
		case voided[e.EventID]:
		case e.Kind == people.KindImport:
			return nil
		default:
			return &history[i]
		}
	}
	return nil
}
