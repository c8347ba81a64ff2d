package registerui

import (
	"testing"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the register's pages, cards and menu entries can ask
// for exists in every catalog they are served with (the shell's and the
// module's fragment, which loads only if its languages agree and it
// repeats no ID of the shell): the literal ones in the templates, those
// built from a prefix and a value, and those of the forms' fields.
func TestMessages(t *testing.T) {
	m := Module(nil)
	cat := i18n.MustLoad(m.Messages)
	keys := map[string]bool{}
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 {
		t.Fatalf("templates: %d IDs, %v", len(ids), err)
	}
	for _, id := range ids {
		keys[id] = true
	}
	for _, e := range m.Menu {
		keys[e.Label] = true
	}
	// The values each dynamic prefix is completed with.
	values := map[string][]string{
		"status":   {string(people.Alive), string(people.Deceased), string(people.Missing), string(people.Annulled)},
		"relation": {},
		"kind":     {},
		"event":    {},
		// hint.<field> is optional (the date-parts hint otherwise); the
		// as-of picker has its own.
		"hint": {"asof"},
	}
	for _, r := range people.Relations {
		values["relation"] = append(values["relation"], string(r))
	}
	for _, k := range []people.EventKind{people.KindBirth, people.KindDeath, people.KindMarriage, people.KindDivorce,
		people.KindResidence, people.KindResidenceRemoval, people.KindCorrection, people.KindImport, people.KindAnnulment, people.KindHeadChange} {
		values["kind"] = append(values["kind"], string(k))
	}
	// The sexes, the errors of the person page, and the fields of the
	// search and as-of forms and of the cards.
	for _, k := range []string{"sex.M", "sex.F", "error.full_date", "error.asof_missing", "error.asof_future",
		"field.name", "field.birth", "field.unit", "field.asof", "field.pin", "error.required", "error.event_unknown", "religion.none", "actor.legacy"} {
		keys[k] = true
	}
	for _, k := range detailOrder {
		keys["detail."+k] = true
	}
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
