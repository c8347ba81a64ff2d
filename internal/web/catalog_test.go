package web

import (
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID a page of the shell can ask for exists in every
// catalog: the literal ones in the templates, and those built from a
// prefix and a value. The modules' tests check theirs.
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
		"role":  {},
		"error": {},
		"hint":  nil, // hints are optional
	}
	for _, r := range auth.Roles {
		values["role"] = append(values["role"], string(r))
	}
	for _, k := range []problem.Kind{problem.Invalid, problem.NotFound, problem.Conflict, problem.Unauthorized, problem.Forbidden,
		problem.TooLarge, problem.RateLimited, problem.Unsupported, problem.Internal} {
		keys["error."+string(k)+".title"] = true
		keys["error."+string(k)+".text"] = true
	}
	// The fields of the sign-in form, and the errors of the form helpers.
	for _, k := range []string{"field.username", "field.password", "error.date", "error.choice"} {
		keys[k] = true
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
