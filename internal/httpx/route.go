package httpx

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
)

// Access says who may call a route; the server puts the guard of that
// access in front of the route's handler. A capability declares it with
// each route and decides, inside the handler, what the principal may do
// (package auth); it never wraps its handlers in a guard itself.
type Access uint8

const (
	// AccessPublic routes need no principal and read no session: reference
	// data, health, metrics, the OpenAPI document, static files, and the
	// endpoints of protocols that authenticate by their own means (an
	// OpenID provider's token endpoint authenticates its clients).
	AccessPublic Access = iota + 1
	// AccessStaffOptional routes are open to anyone, but know the staff
	// session when there is one, with the same cross-origin and CSRF
	// checks: the sign-in form and sign-in API, sign-out, the language
	// switch.
	AccessStaffOptional
	// AccessStaff routes need a staff session; unsafe methods carry its
	// CSRF token.
	AccessStaff
	// AccessCitizen routes need a citizen's session.
	AccessCitizen
	// AccessCitizenLevel2 routes need the session of a citizen whose
	// account is of level 2 (checked in person): what tells of the
	// person's dealings with others (who used their data, their consents
	// to members) or gives others access is not for an account opened on
	// the facts of a chip card alone (PIN, name, date of birth), which
	// others may know.
	AccessCitizenLevel2
	// AccessClient routes need an authenticated OAuth client (a relying
	// party).
	AccessClient
	// AccessMember routes need a member system of the data-exchange
	// platform.
	AccessMember
)

var accessNames = map[Access]string{
	AccessPublic: "public", AccessStaffOptional: "staff-optional", AccessStaff: "staff",
	AccessCitizen: "citizen", AccessCitizenLevel2: "citizen-level2", AccessClient: "client", AccessMember: "member",
}

func (a Access) String() string {
	if s, ok := accessNames[a]; ok {
		return s
	}
	return fmt.Sprintf("Access(%d)", uint8(a))
}

// Route is one route of a capability: a ServeMux pattern ("GET
// /api/v1/persons/{pin}"), its handler, and who may call it.
type Route struct {
	Pattern string
	Handler http.Handler
	Access  Access
}

// IsAPI reports whether the route is part of the JSON API (its path starts
// with /api/): its errors are problem documents, a page's are pages.
func (rt Route) IsAPI() bool {
	_, path, _ := strings.Cut(rt.Pattern, " ")
	if path == "" {
		path = rt.Pattern
	}
	return strings.HasPrefix(path, "/api/")
}

// Routes is what a capability that serves HTTP provides.
type Routes interface {
	Routes() []Route
}

// ErrorWriter writes an error response: WriteProblem for the JSON API, an
// HTML error page for the web UI.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Guard puts an access check in front of next, writing its refusals with
// fail. The capability that authenticates a kind of principal provides the
// guards of its accesses (package staff those of AccessStaff and
// AccessStaffOptional).
type Guard func(next http.Handler, fail ErrorWriter) http.Handler

// Command is the house style of a JSON write endpoint: it adapts a domain
// method that takes the request's principal and a decoded body, and
// validates, authorises and stores, to a handler. The body is decoded
// strictly (unknown fields refused) within maxBody bytes; the method's
// result is answered 201 Created, its error as a problem. A domain method
// never sees the request or the response writer.
func Command[In, Out any](fn func(ctx context.Context, p auth.Principal, in In) (Out, error), maxBody int64) http.Handler {
	return Handle(func(w http.ResponseWriter, r *http.Request) error {
		p, err := auth.MustFromContext(r.Context())
		if err != nil {
			return err
		}
		var in In
		if err := DecodeJSON(w, r, &in, maxBody); err != nil {
			return err
		}
		out, err := fn(r.Context(), p, in)
		if err != nil {
			return err
		}
		return WriteJSON(w, http.StatusCreated, out)
	})
}
