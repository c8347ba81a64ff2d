package register

import (
	"context"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// maxEventBody bounds a civil-event request.
const maxEventBody = 16 << 10

// Routes returns the register's API routes under /api/v1, all for signed-in
// staff. It may be called on a nil *Register, to list them.
func (r *Register) Routes() []httpx.Route {
	staff := func(pattern string, h http.Handler) httpx.Route {
		return httpx.Route{Pattern: pattern, Handler: h, Access: httpx.AccessStaff}
	}
	return []httpx.Route{
		staff("GET /api/v1/persons/{pin}", httpx.Handle(r.getPerson)),
		staff("GET /api/v1/persons/{pin}/history", httpx.Handle(r.getHistory)),
		staff("GET /api/v1/persons", httpx.Handle(r.search)),
		staff("GET /api/v1/households/{id}", httpx.Handle(r.getHousehold)),
		staff("POST /api/v1/events/birth", httpx.Command(one(r.birth), maxEventBody)),
		staff("POST /api/v1/events/death", httpx.Command(one(r.death), maxEventBody)),
		staff("POST /api/v1/events/marriage", httpx.Command(r.marriage, maxEventBody)),
		staff("POST /api/v1/events/divorce", httpx.Command(r.divorce, maxEventBody)),
		staff("POST /api/v1/events/residence", httpx.Command(one(r.residence), maxEventBody)),
		staff("POST /api/v1/events/residence-removal", httpx.Command(one(r.residenceRemoval), maxEventBody)),
		staff("POST /api/v1/events/correction", httpx.Command(one(r.correct), maxEventBody)),
		staff("POST /api/v1/events/annulment", httpx.Command(one(r.annul), maxEventBody)),
		staff("POST /api/v1/events/head-change", httpx.Command(one(r.headChange), maxEventBody)),
	}
}

// one answers an event about one person with that person (Written): the
// record if the caller may read it, else the event's id and the PIN.
func one[In any](fn func(context.Context, auth.Principal, In) ([]Written, error)) func(context.Context, auth.Principal, In) (Written, error) {
	return func(ctx context.Context, p auth.Principal, in In) (Written, error) {
		w, err := fn(ctx, p, in)
		if err != nil || len(w) == 0 {
			return Written{}, err
		}
		return w[0], nil
	}
}

func (r *Register) getPerson(w http.ResponseWriter, req *http.Request) error {
	pr, err := auth.MustFromContext(req.Context())
	if err != nil {
		return err
	}
	pinStr := req.PathValue("pin")
	var asOf string
	if req.URL.RawQuery != "" { // most reads have none: skip parsing
		asOf = req.URL.Query().Get("as_of")
	}
	if s := asOf; s != "" {
		d, err := civil.ParseDate(s)
		if err != nil || !d.Full() {
			return problem.Field("as_of", "must be a full date YYYY-MM-DD")
		}
		p, err := r.GetAsOf(req.Context(), pr, pinStr, d)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, &p)
	}
	p, err := r.Get(req.Context(), pr, pinStr)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, &p)
}

func (r *Register) getHistory(w http.ResponseWriter, req *http.Request) error {
	pr, err := auth.MustFromContext(req.Context())
	if err != nil {
		return err
	}
	h, err := r.History(req.Context(), pr, req.PathValue("pin"))
	if err != nil {
		return err
	}
	if h == nil {
		h = []people.Event{}
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.List[people.Event]{Items: h})
}

func (r *Register) search(w http.ResponseWriter, req *http.Request) error {
	pr, err := auth.MustFromContext(req.Context())
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(req, 50, 200)
	if err != nil {
		return err
	}
	qs := req.URL.Query()
	q := Query{Name: qs.Get("name"), Unit: qs.Get("unit"), Limit: page.Limit, Cursor: page.Cursor}
	if s := qs.Get("birth_date"); s != "" {
		if q.BirthDate, err = civil.ParseDate(s); err != nil {
			return problem.Field("birth_date", "%v", err)
		}
	}
	found, next, err := r.Search(req.Context(), pr, q)
	if err != nil {
		return err
	}
	if found == nil {
		found = []people.Person{}
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.List[people.Person]{Items: found, NextCursor: next})
}

// HouseholdView is a household with its members.
type HouseholdView struct {
	people.Household
	Members []people.Member `json:"members"`
}

func (r *Register) getHousehold(w http.ResponseWriter, req *http.Request) error {
	pr, err := auth.MustFromContext(req.Context())
	if err != nil {
		return err
	}
	h, m, err := r.Household(req.Context(), pr, req.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, HouseholdView{h, m})
}
