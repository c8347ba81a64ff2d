package exchangeui_test

import (
	"slices"
	"testing"

	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/exchange/exchangeui"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the page and its menu entry ask for is in the catalog,
// in each language, and the Vietnamese messages are Vietnamese.
func TestMessages(t *testing.T) {
	m := exchangeui.Module(nil)
	cat := i18n.MustLoad(m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 || !slices.Equal(prefixes, []string{"purpose"}) {
		t.Fatalf("templates: %d IDs, prefixes %v, %v", len(ids), prefixes, err)
	}
	// The default purposes' names (optional: a purpose of the catalogue
	// without one shows its own), and the confirmation page's warnings.
	for _, p := range exchange.DefaultPurposes {
		ids = append(ids, "purpose."+p.Code)
	}
	ids = append(ids, "exchangeui.confirm.revoke", "exchangeui.confirm.certificate")
	ids = append(ids, "field.member_id", "field.member_name", "field.unit_code", "flash.exchange.added", "flash.exchange.revoked")
	for _, e := range m.Menu {
		ids = append(ids, e.Label)
	}
	for _, id := range ids {
		if id == "field.unit_code" {
			continue // the staff pages' label, merged in the served catalog
		}
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, id); !ok {
				t.Errorf("message %q is used but missing from %s.json", id, lang)
			}
		}
	}
}

// Every field a right may grant, a consent may cover and "who used my
// data" may list has a label in each language of the served catalog (the
// register's pages label the person's fields; this module the others), so
// that a citizen reads "Họ, chữ đệm và tên", not full_name.
func TestFieldLabels(t *testing.T) {
	cat := i18n.MustLoad(exchangeui.Module(nil).Messages, registerui.Module(nil).Messages)
	for _, f := range append(slices.Clone(exchange.PersonFields), exchange.VerifyFields...) {
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, "field."+f); !ok {
				t.Errorf("field %s has no label in %s", f, lang)
			}
		}
	}
}
