package register

import (
	"context"
	"github.com/populus-vn/populus/internal/people"
	"net/http"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// Route is one API route: its ServeMux pattern and handler. The server
// mounts them and the OpenAPI test checks them against the document.
type Route struct {
	Pattern string
	Handler http.Handler
}

// maxEventBody bounds a civil-event request.
const maxEventBody = 16 << 10

// Routes returns the register's API routes under /api/v1.
func (r *Register) Routes() []Route {
	return []Route{
		{"GET /api/v1/persons/{pin}", httpx.Handle(r.getPerson)},
		{"GET /api/v1/persons/{pin}/history", httpx.Handle(r.getHistory)},
		{"GET /api/v1/persons", httpx.Handle(r.search)},
		{"GET /api/v1/households/{id}", httpx.Handle(r.getHousehold)},
		{"POST /api/v1/events/birth", event(r.RegisterBirth)},
		{"POST /api/v1/events/death", event(r.RegisterDeath)},
		{"POST /api/v1/events/marriage", event(r.RegisterMarriage)},
		{"POST /api/v1/events/divorce", event(r.RecordDivorce)},
		{"POST /api/v1/events/residence", event(r.RegisterResidence)},
		{"POST /api/v1/events/residence-removal", event(r.RemoveResidence)},
		{"POST /api/v1/events/correction", event(r.Correct)},
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
		// The end of that day, in Vietnam's time zone (UTC+7).
		at := d.Earliest().Add(24*time.Hour - 7*time.Hour - time.Microsecond)
		p, err := r.GetAsOf(req.Context(), pr, pinStr, at)
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

// event adapts a civil-event method to a POST handler: strict decoding with a
// size limit, then the method, which validates, authorises and stores.
func event[In any, Out any](fn func(ctx context.Context, pr auth.Principal, in In) (Out, error)) http.Handler {
	return httpx.Handle(func(w http.ResponseWriter, req *http.Request) error {
		pr, err := auth.MustFromContext(req.Context())
		if err != nil {
			return err
		}
		var in In
		if err := httpx.DecodeJSON(w, req, &in, maxEventBody); err != nil {
			return err
		}
		out, err := fn(req.Context(), pr, in)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusCreated, out)
	})
}
