package events

import (
	_ "embed"
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the fragment documenting Routes (httpx.Documented).
func (*Service) OpenAPI() []byte { return openAPI }

// maxSubscriptionBody bounds a subscription request; maxWatchBody a
// watch-list upload (100,000 PINs of 12 digits and a line end: 1.3 MB).
const (
	maxSubscriptionBody = 8 << 10
	maxWatchBody        = 2 << 20
)

// Routes are the member systems' management of their subscriptions, and
// the public key set that verifies webhook deliveries. It may be called
// on a nil *Service, to list them.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/events/keys", Handler: httpx.Handle(s.getKeys), Access: httpx.AccessPublic},
		{Pattern: "POST /api/v1/events/subscriptions", Handler: httpx.Command(s.Subscribe, maxSubscriptionBody), Access: httpx.AccessMember},
		{Pattern: "GET /api/v1/events/subscriptions", Handler: httpx.Handle(s.list), Access: httpx.AccessMember},
		{Pattern: "GET /api/v1/events/subscriptions/{id}", Handler: httpx.Handle(s.get), Access: httpx.AccessMember},
		{Pattern: "DELETE /api/v1/events/subscriptions/{id}", Handler: httpx.Handle(s.delete), Access: httpx.AccessMember},
		{Pattern: "POST /api/v1/events/subscriptions/{id}/watch", Handler: httpx.Handle(s.watch), Access: httpx.AccessMember},
		{Pattern: "POST /api/v1/events/subscriptions/{id}/resume", Handler: httpx.Handle(s.resume), Access: httpx.AccessMember},
	}
}

func (s *Service) getKeys(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "public, max-age=300")
	return httpx.WriteJSON(w, http.StatusOK, s.keys.Set())
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	subs, err := s.List(r.Context(), p)
	if err != nil {
		return err
	}
	if subs == nil {
		subs = []Subscription{}
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.List[Subscription]{Items: subs})
}

// pathID is the subscription id of the request's path.
func pathID(r *http.Request) (auth.Principal, int64, error) {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return p, 0, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return p, 0, problem.Field("id", "must be the id of one of your subscriptions")
	}
	return p, id, nil
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) error {
	p, id, err := pathID(r)
	if err != nil {
		return err
	}
	sub, err := s.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, sub)
}

func (s *Service) delete(w http.ResponseWriter, r *http.Request) error {
	p, id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Unsubscribe(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) resume(w http.ResponseWriter, r *http.Request) error {
	p, id, err := pathID(r)
	if err != nil {
		return err
	}
	sub, err := s.Resume(r.Context(), p, id)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, sub)
}

// watch reads a text/plain body of PINs, one a line, as a stream.
func (s *Service) watch(w http.ResponseWriter, r *http.Request) error {
	p, id, err := pathID(r)
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return problem.New(problem.Unsupported, "the watch list is text/plain: one PIN a line")
	}
	remove := false
	switch v := r.URL.Query().Get("remove"); v {
	case "", "false":
	case "true":
		remove = true
	default:
		return problem.Field("remove", "must be true or false")
	}
	body := http.MaxBytesReader(w, r.Body, maxWatchBody)
	res, err := s.Watch(r.Context(), p, id, body, remove)
	if err != nil {
		if _, ok := errAs[*http.MaxBytesError](err); ok {
			return problem.New(problem.TooLarge, "an upload is at most %d bytes: send the list in several", maxWatchBody)
		}
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, res)
}

func errAs[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}
