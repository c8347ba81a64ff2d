package jobsui_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/reconcile/report"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/reconcile/service/jobsui"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the page and its menu entry ask for is in the catalog
// it is served with: the shell's, the report's (the decisions' names) and
// its own fragment.
func TestMessages(t *testing.T) {
	m := jobsui.Module(nil)
	cat := i18n.MustLoad(report.Messages, m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 {
		t.Fatalf("templates: %d IDs, %v", len(ids), err)
	}
	for _, p := range prefixes {
		t.Errorf("the template builds message IDs from %q.…, which this test does not enumerate", p)
	}
	for _, e := range m.Menu {
		ids = append(ids, e.Label)
	}
	// The review pages name the model's comparisons and write the flash
	// notice of a decision.
	for _, c := range jobsui.Comparisons() {
		ids = append(ids, "recreview.cmp."+c)
	}
	ids = append(ids, "flash.recreview_saved")
	for _, l := range jobsui.Levels() {
		ids = append(ids, "recreview.level."+l)
	}
	for _, id := range ids {
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, id); !ok {
				t.Errorf("message %q is used but missing from %s.json", id, lang)
			}
		}
	}
}

// The engine's reasons are translated with their numbers: the reasons the
// engine writes find their message by kind.
func TestReasonTranslations(t *testing.T) {
	cat := i18n.MustLoad(report.Messages, jobsui.Module(nil).Messages)
	for reason, want := range map[string]string{
		"best candidate's probability 2.11e-06 is below the review floor 0.5": "xác suất của ứng viên tốt nhất (2.11e-06) thấp hơn ngưỡng xem xét 0.5",
		"2 candidates within 3.0 bits of the best":                            "2 ứng viên cách ứng viên tốt nhất không quá 3.0 bit",
	} {
		kind, args := service.ReasonKind(reason)
		if got, _ := cat.Lookup(i18n.Vietnamese, "recreview.why."+kind, args...); got != want {
			t.Errorf("%q in Vietnamese: %q, want %q", reason, got, want)
		}
	}
}
