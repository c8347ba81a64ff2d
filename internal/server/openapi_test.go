package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/httpx"
)

type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

// loadDoc returns the document the server serves: the base merged with
// the fragments of every capability.
func loadDoc(t *testing.T) openAPIDoc {
	t.Helper()
	b, err := openAPIDocument(allCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	var d openAPIDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("merged document: %v", err)
	}
	if d.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", d.OpenAPI)
	}
	return d
}

// TestOpenAPICoversEveryRoute keeps the document and the mux in step: each
// API route is documented and each documented operation is served.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadDoc(t)
	served := map[string]bool{}
	routes, err := Routes(Deps{Capabilities: allCapabilities(), Guards: openGuards()})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		served[strings.ToLower(method)+" "+path] = true
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[method+" "+path] = true
		}
	}
	for op := range served {
		if !documented[op] {
			t.Errorf("route %s is not documented (its capability's openapi.json)", op)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("the document has %s, which no route serves", op)
		}
	}
}

// Each capability documents exactly its own API routes in its fragment, so
// that the document stays true whichever capabilities a server mounts.
func TestOpenAPIFragmentsDocumentTheirOwnRoutes(t *testing.T) {
	for _, c := range allCapabilities() {
		name := fmt.Sprintf("%T", c)
		d, ok := c.(httpx.Documented)
		if !ok {
			t.Errorf("%s serves API routes but is not httpx.Documented", name)
			continue
		}
		var frag openAPIDoc
		if err := json.Unmarshal(d.OpenAPI(), &frag); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		served := map[string]bool{}
		for _, rt := range c.Routes() {
			if rt.IsAPI() {
				method, path, _ := strings.Cut(rt.Pattern, " ")
				served[strings.ToLower(method)+" "+path] = true
			}
		}
		for path, ops := range frag.Paths {
			for method := range ops {
				if !served[method+" "+path] {
					t.Errorf("%s documents %s %s, which it does not serve", name, method, path)
				}
				delete(served, method+" "+path)
			}
		}
		for op := range served {
			t.Errorf("%s serves %s, which its fragment does not document", name, op)
		}
	}
}

// Every $ref resolves: in the merged document, and in each fragment merged
// with the base alone (a capability refers only to its own components and
// the shared ones, never to another capability's).
func TestOpenAPIRefsResolve(t *testing.T) {
	b, err := openAPIDocument(allCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decodeObject(b)
	if err != nil {
		t.Fatal(err)
	}
	if bad := unresolvedRefs(doc, doc); len(bad) > 0 {
		t.Errorf("unresolved: %v", bad)
	}
	if n := strings.Count(string(b), `"$ref"`); n < 100 {
		t.Errorf("only %d $refs in the document; the walk is not looking", n)
	}
	for _, c := range allCapabilities() {
		if d, ok := c.(httpx.Documented); ok {
			if _, err := mergeOpenAPI(openAPIBase, fragment{fmt.Sprintf("%T", c), d.OpenAPI()}); err != nil {
				t.Errorf("%T with the base alone: %v", c, err)
			}
		}
	}
}

// The merged document does not depend on the order of the capabilities,
// and merging is repeatable byte for byte.
func TestOpenAPIDeterministic(t *testing.T) {
	caps := allCapabilities()
	a, err := openAPIDocument(caps)
	if err != nil {
		t.Fatal(err)
	}
	rev := make([]httpx.Routes, len(caps))
	for i, c := range caps {
		rev[len(caps)-1-i] = c
	}
	b, err := openAPIDocument(rev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the document depends on the order of the capabilities")
	}
}

// The served document is the merged one, with its headers.
func TestOpenAPIServed(t *testing.T) {
	h, err := New(Deps{Capabilities: allCapabilities(), Guards: openGuards(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := openAPIDocument(allCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("Cache-Control") != "public, max-age=300" || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Errorf("GET /api/v1/openapi.json: %d %v", rec.Code, rec.Header())
	}
}

// Merging fails loudly on a conflict or a dangling reference, and accepts
// a component given twice alike.
func TestMergeOpenAPIConflicts(t *testing.T) {
	base := `{"openapi":"3.1.0","paths":{"/healthz":{"get":{"responses":{}}}},
		"components":{"schemas":{"Problem":{"type":"object"}}}}`
	frag := func(name, s string) fragment { return fragment{name, []byte(s)} }
	a := frag("a", `{"paths":{"/x":{"get":{"responses":{"400":{"$ref":"#/components/responses/Bad"}}}}},
		"components":{"responses":{"Bad":{"description":"bad"}},"schemas":{"Problem":{"type":"object"}}}}`)
	for _, tc := range []struct {
		name  string
		frags []fragment
		err   string // "" when the merge must succeed
	}{
		{"alone", []fragment{a}, ""},
		{"another method on the same path", []fragment{a, frag("b", `{"paths":{"/x":{"post":{"responses":{}}}}}`)}, ""},
		{"the same component alike", []fragment{a, frag("b", `{"components":{"responses":{"Bad":{"description":"bad"}}}}`)}, ""},
		{"the same operation twice", []fragment{a, frag("b", `{"paths":{"/x":{"get":{"responses":{}}}}}`)}, "GET /x is documented by both a and b"},
		{"an operation of the base", []fragment{frag("b", `{"paths":{"/healthz":{"get":{"responses":{}}}}}`)}, "GET /healthz is documented by both the base document and b"},
		{"a component that differs", []fragment{a, frag("b", `{"components":{"responses":{"Bad":{"description":"worse"}}}}`)}, "a and b give different components.responses.Bad"},
		{"a shared component that differs", []fragment{frag("b", `{"components":{"schemas":{"Problem":{"type":"string"}}}}`)}, "the base document and b give different components.schemas.Problem"},
		{"path-level fields that differ", []fragment{
			frag("a", `{"paths":{"/y":{"summary":"one","get":{"responses":{}}}}}`),
			frag("b", `{"paths":{"/y":{"summary":"two","post":{"responses":{}}}}}`)}, `give path /y different "summary"`},
		{"a dangling $ref", []fragment{frag("b", `{"paths":{"/z":{"get":{"responses":{"200":{"$ref":"#/components/responses/Nope"}}}}}}`)}, "#/components/responses/Nope"},
		{"an external $ref", []fragment{frag("b", `{"paths":{"/z":{"get":{"responses":{"200":{"$ref":"other.json#/x"}}}}}}`)}, "other.json#/x"},
		{"more than paths and components", []fragment{frag("b", `{"info":{"title":"mine"}}`)}, `holds "info"`},
		{"not JSON", []fragment{frag("b", `{"paths":`)}, "fragment of b"},
	} {
		out, err := mergeOpenAPI([]byte(base), tc.frags...)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: err = %v, want one naming %q", tc.name, err, tc.err)
		case tc.err != "" && out != nil:
			t.Errorf("%s: a document came back with the error", tc.name)
		}
	}
}
