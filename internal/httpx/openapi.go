package httpx

// Documented is what a capability that documents its API provides, besides
// its Routes: its OpenAPI 3.1 fragment, a JSON object that holds only
// "paths" (its own routes) and "components" (the schemas, parameters and
// responses those paths use). The server merges the fragments of the
// capabilities it mounts into its base document, which holds what is
// shared (info, servers, security schemes, the Problem schema, the CSRF
// parameter); a fragment's $refs resolve in itself or in the base.
// OpenAPI may be called on a nil receiver, like Routes.
type Documented interface {
	OpenAPI() []byte
}
