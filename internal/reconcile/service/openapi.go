package service

import _ "embed"

// openAPI documents the routes of Routes; the server merges it into the
// document it serves (httpx.Documented).
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI fragment of the reconciliation jobs API: its
// paths and the components they use. It may be called on a nil *Service.
func (*Service) OpenAPI() []byte { return openAPI }
