// Package apitest keeps a capability's OpenAPI fragment true to its Go
// types, in the capability's own tests: each documented schema has exactly
// the JSON fields the type encodes and decodes. (That every route is
// documented, and every documented operation served, the server checks at
// start.)
package apitest

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Schemas checks the schemas of the fragment doc against types: a schema
// name ("Person"), or a schema and one of its properties that is an inline
// object ("ReconcileJob.progress"), maps to a value of the Go type.
func Schemas(t testing.TB, doc []byte, types map[string]any) {
	t.Helper()
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("the OpenAPI fragment: %v", err)
	}
	for name, v := range types {
		schema, prop, nested := strings.Cut(name, ".")
		s, ok := d.Components.Schemas[schema]
		if !ok {
			t.Errorf("schema %s missing", schema)
			continue
		}
		props := s.Properties
		if nested {
			var inline struct {
				Properties map[string]json.RawMessage `json:"properties"`
			}
			if err := json.Unmarshal(s.Properties[prop], &inline); err != nil || inline.Properties == nil {
				t.Errorf("schema %s has no inline object %s (%v)", schema, prop, err)
				continue
			}
			props = inline.Properties
		}
		var documented []string
		for p := range props {
			documented = append(documented, p)
		}
		sort.Strings(documented)
		if want := Fields(reflect.TypeOf(v)); !reflect.DeepEqual(documented, want) {
			t.Errorf("schema %s has %v; the Go type has %v", name, documented, want)
		}
	}
}

// Fields are the JSON names of the fields of struct type t, embedded
// structs flattened, sorted.
func Fields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, Fields(f.Type)...)
			continue
		}
		if name != "-" && f.IsExported() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
