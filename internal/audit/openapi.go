package audit

import _ "embed"

// openAPI documents the routes of Routes; the server merges it into the
// document it serves (httpx.Documented).
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI fragment of the audit API: its paths and the
// components they use. It may be called on a nil *Reader.
func (*Reader) OpenAPI() []byte { return openAPI }
