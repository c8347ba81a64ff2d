package secmonui_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/secmon"
	"github.com/populus-vn/populus/internal/secmon/secmonui"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the page and its menu entry ask for is in the catalog.
func TestMessages(t *testing.T) {
	m := secmonui.Module(nil)
	cat := i18n.MustLoad(m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 {
		t.Fatalf("templates: %d IDs, %v", len(ids), err)
	}
	values := map[string][]string{"security.kind": {secmon.KindRateLimit, secmon.KindOutlier}, "role": nil}
	for _, r := range auth.Roles {
		values["role"] = append(values["role"], string(r))
	}
	// The words of the events' details (words.go).
	for _, k := range []string{"security.detail.rate_limit", "security.detail.outlier", "security.what.people", "security.what.searches",
		"security.window.minute", "security.window.hour", "security.scope.commune", "security.scope.province", "security.scope.nation"} {
		ids = append(ids, k)
	}
	for _, p := range prefixes {
		vs, ok := values[p]
		if !ok {
			t.Errorf("the template builds message IDs from %q.…, which this test does not enumerate", p)
		}
		for _, v := range vs {
			ids = append(ids, p+"."+v)
		}
	}
	for _, e := range m.Menu {
		ids = append(ids, e.Label)
	}
	for _, id := range ids {
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, id); !ok {
				t.Errorf("message %q is used but missing from %s.json", id, lang)
			}
		}
	}
}
