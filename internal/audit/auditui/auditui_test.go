package auditui_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/audit/auditui"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the page and its menu entry ask for is in the catalog
// it is served with: the shell's and its own fragment (which loads only if
// its languages agree and it repeats no ID of the shell).
func TestMessages(t *testing.T) {
	m := auditui.Module(nil, nil)
	cat := i18n.MustLoad(m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 {
		t.Fatalf("templates: %d IDs, %v", len(ids), err)
	}
	values := map[string][]string{"audit.outcome": {audit.OK, audit.Denied, audit.Failed}, "role": nil, "audit.kind": {"anonymous"}}
	for _, k := range auth.Kinds {
		if auditui.IsNamedKind(string(k)) {
			values["audit.kind"] = append(values["audit.kind"], string(k))
		}
	}
	for _, r := range auth.Roles {
		values["role"] = append(values["role"], string(r))
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
	// The subject field's label and hint, through the "field" partial.
	ids = append(ids, "field.subject", "hint.subject")
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
