package exchange

import (
	_ "embed"
	"net/http"

	"github.com/populus-vn/populus/internal/httpx"
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
