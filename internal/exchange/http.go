package exchange

import (
	_ "embed"
	"net/http"
	"slices"
	"strings"

	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the fragment documenting the exchange's routes under /api/
// (httpx.Documented); the /r1/ services are described by getOpenAPI.
func (*Exchange) OpenAPI() []byte { return openAPI }

// Routes are the exchange's: the X-Road REST protocol under /r1/ and
// listClients for member systems, the token endpoint and its metadata,
// the CA's certificate and each member's monitoring figures.
func (x *Exchange) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "/r1/", Handler: http.HandlerFunc(x.serve), Access: httpx.AccessMember},
		{Pattern: "GET /listClients", Handler: httpx.Handle(x.listClients), Access: httpx.AccessMember},
		{Pattern: "POST /api/v1/exchange/token", Handler: httpx.Handle(x.token), Access: httpx.AccessPublic},
		{Pattern: "GET /.well-known/oauth-authorization-server", Handler: httpx.Handle(x.authorizationServer), Access: httpx.AccessPublic},
		{Pattern: "GET /api/v1/exchange/ca", Handler: httpx.Handle(x.caPEM), Access: httpx.AccessPublic},
		{Pattern: "GET /api/v1/exchange/monitoring", Handler: httpx.Handle(x.monitoring), Access: httpx.AccessMember},
		{Pattern: "GET /api/v1/exchange/evidence/{id}", Handler: httpx.Handle(x.evidence), Access: httpx.AccessMember},
	}
}

func (x *Exchange) caPEM(w http.ResponseWriter, r *http.Request) error {
	b, err := x.CACertificate(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, err = w.Write(b)
	return err
}

// listenerPaths are what member systems call, the paths the exchange's
// own listener serves: the protocol, the token endpoint and its metadata,
// the exchange's API (CA, evidence, monitoring), change subscriptions,
// consent requests, the keys and checkpoint that verify what Populus
// signed, the API's description and the health checks. A path ending in
// "/" is a prefix.
var listenerPaths = []string{"/r1/", "/listClients", "/api/v1/exchange/", "/.well-known/oauth-authorization-server",
	"/api/v1/events/subscriptions", "/api/v1/events/subscriptions/", "/api/v1/events/keys",
	"/api/v1/consent/requests", "/api/v1/consent/requests/", "/api/v1/consent/keys",
	"/api/v1/audit/checkpoint", "/api/v1/openapi.json", "/healthz", "/readyz"}

// ListenerHandler is h for the exchange's listener (mutual TLS): the
// paths of member systems only; the pages and the rest of the API are on
// the platform's address, and here a 404 problem says so.
func ListenerHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if slices.ContainsFunc(listenerPaths, func(l string) bool { return p == l || strings.HasSuffix(l, "/") && strings.HasPrefix(p, l) }) {
			h.ServeHTTP(w, r)
			return
		}
		httpx.WriteProblem(w, r, problem.New(problem.NotFound, "the exchange's listener serves member systems' paths only (/r1/…, /api/v1/exchange/…): the rest is on the platform's address"))
	})
}
