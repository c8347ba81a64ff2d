package register

import _ "embed"

// openAPI documents the routes of Routes; the server merges it into the
// document it serves (httpx.Documented).
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI fragment of the register API: its paths and the
// components they use. It may be called on a nil *Register.
func (*Register) OpenAPI() []byte { return openAPI }
