package consent

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the fragment documenting Routes (httpx.Documented).
func (*Store) OpenAPI() []byte { return openAPI }

// maxBody bounds a consent or a request for one.
const maxBody = 8 << 10

// Routes returns the capability's API: the holder's consents and the
// requests pending for them (citizen), a member's requests (member), the
// receipts (holder or auditor) and the keys that verify them (public). It
// may be called on a nil *Store, to list them.
func (s *Store) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/consent/me/records", Handler: httpx.Handle(s.getRecords), Access: httpx.AccessCitizenLevel2},
		{Pattern: "POST /api/v1/consent/me/records", Handler: httpx.Command(s.Give, maxBody), Access: httpx.AccessCitizenLevel2},
		{Pattern: "DELETE /api/v1/consent/me/records/{id}", Handler: httpx.Handle(s.deleteRecord), Access: httpx.AccessCitizenLevel2},
		{Pattern: "GET /api/v1/consent/me/records/{id}/receipts", Handler: httpx.Handle(s.getReceipts), Access: httpx.AccessCitizenLevel2},
		{Pattern: "GET /api/v1/consent/me/requests", Handler: httpx.Handle(s.getRequests), Access: httpx.AccessCitizenLevel2},
		{Pattern: "POST /api/v1/consent/me/requests/{id}/approve", Handler: httpx.Handle(s.decide(true)), Access: httpx.AccessCitizenLevel2},
		{Pattern: "POST /api/v1/consent/me/requests/{id}/decline", Handler: httpx.Handle(s.decide(false)), Access: httpx.AccessCitizenLevel2},
		{Pattern: "POST /api/v1/consent/requests", Handler: httpx.Command(s.Ask, maxBody), Access: httpx.AccessMember},
		{Pattern: "GET /api/v1/consent/requests/{id}", Handler: httpx.Handle(s.getRequest), Access: httpx.AccessMember},
		{Pattern: "GET /api/v1/consent/records/{id}/receipts", Handler: httpx.Handle(s.getReceipts), Access: httpx.AccessStaff},
		{Pattern: "GET /api/v1/consent/keys", Handler: httpx.Handle(s.getKeys), Access: httpx.AccessPublic},
	}
}

func principalOf(r *http.Request) (auth.Principal, error) { return auth.MustFromContext(r.Context()) }

func list[T any](w http.ResponseWriter, r *http.Request, fn func(context.Context, auth.Principal) ([]T, error)) error {
	pr, err := principalOf(r)
	if err != nil {
		return err
	}
	out, err := fn(r.Context(), pr)
	if err != nil {
		return err
	}
	if out == nil {
		out = []T{}
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.List[T]{Items: out})
}

func (s *Store) getRecords(w http.ResponseWriter, r *http.Request) error {
	return list(w, r, s.Records)
}

func (s *Store) getRequests(w http.ResponseWriter, r *http.Request) error {
	return list(w, r, s.Requests)
}

func (s *Store) getReceipts(w http.ResponseWriter, r *http.Request) error {
	return list(w, r, func(ctx context.Context, pr auth.Principal) ([]Version, error) {
		return s.Receipts(ctx, pr, r.PathValue("id"))
	})
}

func (s *Store) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	pr, err := principalOf(r)
	if err != nil {
		return err
	}
	rec, err := s.Revoke(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, rec)
}

func (s *Store) decide(approve bool) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pr, err := principalOf(r)
		if err != nil {
			return err
		}
		q, err := s.Decide(r.Context(), pr, r.PathValue("id"), approve)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, q)
	}
}

func (s *Store) getRequest(w http.ResponseWriter, r *http.Request) error {
	pr, err := principalOf(r)
	if err != nil {
		return err
	}
	q, err := s.RequestStatus(r.Context(), pr, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, q)
}

func (s *Store) getKeys(w http.ResponseWriter, r *http.Request) error {
	set, err := s.Keys(r.Context())
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, set)
}
