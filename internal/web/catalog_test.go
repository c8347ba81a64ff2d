package web

import (
	"github.com/populus-vn/populus/internal/people"
	"io/fs"
	"regexp"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
)

// Every message ID a page can ask for exists in every catalog: the literal
// ones in the templates, and those built from a prefix and a value.
func TestTemplatesUseCatalogKeys(t *testing.T) {
	cat := i18n.MustLoad()
	keys := map[string]bool{}
	literal := regexp.MustCompile(`\b(?:T|optional) "([a-z0-9_.-]+)"`)
	dynamic := regexp.MustCompile(`print "([a-z_.-]+)\." `)
	prefixes := map[string]bool{}
	fs.WalkDir(assets, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := assets.ReadFile(path)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
		for _, m := range dynamic.FindAllStringSubmatch(string(b), -1) {
			prefixes[m[1]] = true
		}
		return nil
	})
	// The values each dynamic prefix is completed with.
	values := map[string][]string{
		"role":          {},
		"status":        {string(people.Alive), string(people.Deceased), string(people.Missing)},
		"relation":      {},
		"kind":          {},
		"event":         {},
		"error":         {},
		"hint":          nil, // hints are optional
		"audit.outcome": {audit.OK, audit.Denied, audit.Failed},
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
	for p := range prefixes {
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
