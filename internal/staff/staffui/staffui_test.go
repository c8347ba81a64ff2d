package staffui_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/staff/staffui"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the pages, the card and the menu entries ask for is in
// the catalog they are served with, in every language: the literal ones,
// those built from a role, the labels and hints of the forms' fields, and
// the flash notices the handlers set.
func TestMessages(t *testing.T) {
	m := staffui.Module(nil)
	cat := i18n.MustLoad(m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 {
		t.Fatalf("templates: %d IDs, %v", len(ids), err)
	}
	for _, p := range prefixes {
		if p != "role" {
			t.Errorf("the templates build message IDs from %q.…, which this test does not enumerate", p)
		}
	}
	for _, r := range auth.Roles {
		ids = append(ids, "role."+string(r))
	}
	for _, f := range []string{"display_name", "username", "role", "unit_code", "password", "current_password", "new_password", "new_password_again"} {
		ids = append(ids, "field."+f)
	}
	ids = append(ids, "hint.unit_code")
	// The IDs the handlers name: flash notices and form errors.
	src, err := os.ReadFile("staffui.go")
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`"((?:flash|staffui)\.[a-z_.]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(named) < 9 {
		t.Errorf("only %d message IDs named in staffui.go: is the scan still right?", len(named))
	}
	for _, m := range named {
		ids = append(ids, m[1])
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
