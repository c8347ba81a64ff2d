package oidcui

import (
	"testing"

	"github.com/populus-vn/populus/internal/i18n"
)

// Every label, legend and option of the relying parties' form is in both
// catalogs.
func TestClientFormMessages(t *testing.T) {
	cat := i18n.MustLoad(Module(nil, nil, nil, nil).Messages)
	var ids []string
	for _, g := range clientGroups {
		ids = append(ids, g.legend)
		for _, f := range g.fields {
			ids = append(ids, "oidc.clients.field."+f.name)
			for _, o := range f.options {
				if o.Key != "" {
					ids = append(ids, o.Key)
				}
			}
		}
	}
	if len(ids) < 25 {
		t.Fatalf("only %d message IDs", len(ids))
	}
	for _, id := range ids {
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, id); !ok {
				t.Errorf("message %q is missing from %s.json", id, lang)
			}
		}
	}
}
