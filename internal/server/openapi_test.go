package server

import (
	"encoding/json"
	"github.com/populus-vn/populus/internal/people"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
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

func loadDoc(t *testing.T) openAPIDoc {
	t.Helper()
	var d openAPIDoc
	if err := json.Unmarshal(openAPI, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
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
	for _, rt := range apiRoutes(Deps{Register: &register.Register{}, Units: units.Default()}) {
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
			t.Errorf("route %s is not in openapi.json", op)
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("openapi.json documents %s, which no route serves", op)
		}
	}
}

// jsonFields lists the JSON names of a struct's fields, flattening embedded structs.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name != "-" && f.IsExported() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPISchemasMatchTypes checks that documented bodies have exactly
// the fields the Go types encode and decode.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadDoc(t)
	types := map[string]any{
		"Person":                people.Person{},
		"Event":                 people.Event{},
		"Member":                people.Member{},
		"Household":             register.HouseholdView{},
		"Address":               people.Address{},
		"Unit":                  units.View{},
		"SessionRequest":        SessionRequest{},
		"Session":               SessionResponse{},
		"EventBirth":            people.BirthRegistration{},
		"EventDeath":            people.DeathRegistration{},
		"EventMarriage":         people.MarriageRegistration{},
		"EventDivorce":          people.DivorceRecord{},
		"EventResidence":        people.ResidenceRegistration{},
		"EventResidenceRemoval": people.ResidenceRemoval{},
		"EventCorrection":       people.Correction{},
		"AuditEntry":            audit.View{},
	}
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var documented []string
		for p := range s.Properties {
			documented = append(documented, p)
		}
		sort.Strings(documented)
		want := jsonFields(reflect.TypeOf(v))
		if !reflect.DeepEqual(documented, want) {
			t.Errorf("schema %s has %v; the Go type has %v", name, documented, want)
		}
	}
}
