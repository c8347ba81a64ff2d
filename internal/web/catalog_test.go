package web

import (
	"github.com/populus-vn/populus/internal/people"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID a page can ask for exists in every catalog: the literal
// ones in the templates, and those built from a prefix and a value.
func TestTemplatesUseCatalogKeys(t *testing.T) {
	cat := i18n.MustLoad()
	keys := map[string]bool{}
	ids, prefixes, err := webtest.MessageIDs(assets)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		keys[id] = true
	}
	for _, e := range shellMenu {
		keys[e.Label] = true
	}
	// The values each dynamic prefix is completed with.
	values := map[string][]string{
		"role":     {},
		"status":   {string(people.Alive), string(people.Deceased), string(people.Missing)},
		"relation": {},
		"kind":     {},
		"event":    {},
		"error":    {},
		"hint":     nil, // hints are optional
	}
	for _, r := range auth.Roles {
		values["role"] = append(values["role"], string(r))
	}
	for _, r := range people.Relations {
		values["relation"] = append(values["relation"], string(r))
	}
	for _, k := range []people.EventKind{people.KindBirth, people.KindDeath, people.KindMarriage, people.KindDivorce,
		people.KindResidence, people.KindResidenceRemoval, people.KindCorrection, people.KindImport} {
		values["kind"] = append(values["kind"], string(k))
	}
	for _, k := range []problem.Kind{problem.Invalid, problem.NotFound, problem.Conflict, problem.Unauthorized, problem.Forbidden,
		problem.TooLarge, problem.RateLimited, problem.Unsupported, problem.Internal} {
		keys["error."+string(k)+".title"] = true
		keys["error."+string(k)+".text"] = true
	}
	keys["sex.M"], keys["sex.F"] = true, true
	for _, ef := range eventForms {
		for _, k := range []string{"event." + ef.slug, "event." + ef.slug + ".summary", "event." + ef.slug + ".submit", "flash." + ef.slug} {
			keys[k] = true
		}
		for _, g := range ef.groups {
			keys[g.Legend] = true
			for _, f := range g.Fields {
				keys["field."+f.Name] = true
				if f.Label != "" {
					keys[f.Label] = true
				}
				if f.Options != nil {
					for _, o := range f.Options() {
						if o.Key != "" {
							keys[o.Key] = true
						}
					}
				}
			}
		}
	}
	for _, p := range prefixes {
		vs, known := values[p]
		if !known {
			t.Errorf("templates build message IDs from %q.…, which this test does not enumerate", p)
		}
		for _, v := range vs {
			keys[p+"."+v] = true
		}
	}
	for k := range keys {
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, k); !ok {
				t.Errorf("message %q is used but missing from %s.json", k, lang)
			}
		}
	}
}
