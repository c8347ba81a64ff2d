package server

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/populus-vn/populus/internal/httpx"
)

// openAPIBase is what the document shares across capabilities: info,
// servers, security, the security schemes, the Problem schema, the CSRF
// parameter, and the server's own operational routes.
//
//go:embed openapi.base.json
var openAPIBase []byte

// fragment is one capability's OpenAPI fragment, named for errors.
type fragment struct {
	name string
	doc  []byte
}

// openAPIDocument merges the base document and the fragments of the
// capabilities that are httpx.Documented, in the order given.
func openAPIDocument(caps []httpx.Routes) ([]byte, error) {
	var frags []fragment
	for _, c := range caps {
		if d, ok := c.(httpx.Documented); ok {
			frags = append(frags, fragment{name: fmt.Sprintf("%T", c), doc: d.OpenAPI()})
		}
	}
	return mergeOpenAPI(openAPIBase, frags...)
}

// httpMethods are the keys of a path item that are operations.
var httpMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

// mergeOpenAPI returns base with the paths and components of each fragment
// added. It fails on a fragment that holds anything but paths and
// components, on an operation (path and method) documented twice, on a
// component or path-level field given twice with different content, and on
// a $ref, anywhere in the result, that resolves to nothing. The output is
// deterministic: object keys are sorted.
func mergeOpenAPI(base []byte, frags ...fragment) ([]byte, error) {
	doc, err := decodeObject(base)
	if err != nil {
		return nil, fmt.Errorf("openapi base: %w", err)
	}
	paths, err := section(doc, "paths")
	if err != nil {
		return nil, fmt.Errorf("openapi base: %w", err)
	}
	comps, err := section(doc, "components")
	if err != nil {
		return nil, fmt.Errorf("openapi base: %w", err)
	}
	owner := map[string]string{} // "path method" or "section/name" -> who gave it
	for p, item := range paths {
		if m, ok := item.(map[string]any); ok {
			for k := range m {
				owner[p+" "+k] = "the base document"
			}
		}
	}
	for s, v := range comps {
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				owner[s+"/"+k] = "the base document"
			}
		}
	}

	for _, f := range frags {
		fd, err := decodeObject(f.doc)
		if err != nil {
			return nil, fmt.Errorf("openapi fragment of %s: %w", f.name, err)
		}
		for k := range fd {
			if k != "paths" && k != "components" {
				return nil, fmt.Errorf("openapi fragment of %s: holds %q; a fragment holds only paths and components", f.name, k)
			}
		}
		fpaths, err := section(fd, "paths")
		if err != nil {
			return nil, fmt.Errorf("openapi fragment of %s: %w", f.name, err)
		}
		for _, p := range sortedKeys(fpaths) {
			item, ok := fpaths[p].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("openapi fragment of %s: path %s is not an object", f.name, p)
			}
			into, _ := paths[p].(map[string]any)
			if into == nil {
				into = map[string]any{}
				paths[p] = into
			}
			for _, k := range sortedKeys(item) {
				prev, dup := into[k]
				switch {
				case !dup:
				case httpMethods[k]:
					return nil, fmt.Errorf("openapi: %s %s is documented by both %s and %s", strings.ToUpper(k), p, owner[p+" "+k], f.name)
				case !reflect.DeepEqual(prev, item[k]):
					return nil, fmt.Errorf("openapi: %s and %s give path %s different %q", owner[p+" "+k], f.name, p, k)
				}
				into[k] = item[k]
				owner[p+" "+k] = f.name
			}
		}
		fcomps, err := section(fd, "components")
		if err != nil {
			return nil, fmt.Errorf("openapi fragment of %s: %w", f.name, err)
		}
		for _, s := range sortedKeys(fcomps) {
			named, ok := fcomps[s].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("openapi fragment of %s: components.%s is not an object", f.name, s)
			}
			into, _ := comps[s].(map[string]any)
			if into == nil {
				into = map[string]any{}
				comps[s] = into
			}
			for _, n := range sortedKeys(named) {
				if prev, dup := into[n]; dup && !reflect.DeepEqual(prev, named[n]) {
					return nil, fmt.Errorf("openapi: %s and %s give different components.%s.%s", owner[s+"/"+n], f.name, s, n)
				}
				if _, dup := into[n]; !dup {
					owner[s+"/"+n] = f.name
				}
				into[n] = named[n]
			}
		}
	}

	if bad := unresolvedRefs(doc, doc); len(bad) > 0 {
		return nil, fmt.Errorf("openapi: $ref resolves to nothing: %s", strings.Join(bad, ", "))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeObject decodes a JSON object, keeping numbers as written.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// section returns doc[key] as an object, adding an empty one if absent.
func section(doc map[string]any, key string) (map[string]any, error) {
	v, ok := doc[key]
	if !ok {
		m := map[string]any{}
		doc[key] = m
		return m, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an object", key)
	}
	return m, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// unresolvedRefs returns, sorted and each once, the $refs under v that do
// not point at a value of root: only local references ("#/...") are
// allowed.
func unresolvedRefs(root, v any) []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && !seen[ref] {
				if _, ok := resolveRef(root, ref); !ok {
					seen[ref] = true
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	bad := make([]string, 0, len(seen))
	for ref := range seen {
		bad = append(bad, ref)
	}
	sort.Strings(bad)
	return bad
}

// resolveRef follows a local JSON pointer reference ("#/components/...").
func resolveRef(root any, ref string) (any, bool) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok || (ptr != "" && !strings.HasPrefix(ptr, "/")) {
		return nil, false
	}
	cur := root
	if ptr == "" {
		return cur, true
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// serveOpenAPI serves the merged document.
func serveOpenAPI(doc []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(doc)
	})
}

// checkDocumented refuses a set of routes and a document that disagree: a
// route under /api/ that the document does not describe, or an operation
// the document describes that no route serves. Every server checks it at
// start, so a capability cannot be wired without its API document.
func checkDocumented(doc []byte, routes []httpx.Route) error {
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	documented := map[string]bool{}
	for path, item := range d.Paths {
		for method := range item {
			if httpMethods[method] {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	var errs []string
	for _, rt := range routes {
		served[rt.Pattern] = true
		if rt.IsAPI() && !documented[rt.Pattern] {
			errs = append(errs, "route "+rt.Pattern+" is not in the OpenAPI document")
		}
	}
	for op := range documented {
		if !served[op] {
			errs = append(errs, "the OpenAPI document describes "+op+", which no route serves")
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return errors.New("openapi: " + strings.Join(errs, "; "))
	}
	return nil
}
