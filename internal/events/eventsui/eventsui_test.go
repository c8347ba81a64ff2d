package eventsui_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/events/eventsui"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the page and its menu entry ask for is in the catalog.
func TestMessages(t *testing.T) {
	m := eventsui.Module(nil)
	cat := i18n.MustLoad(m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	if err != nil || len(ids) == 0 {
		t.Fatalf("templates: %d IDs, %v", len(ids), err)
	}
	values := map[string][]string{"changes.channel": {events.Webhook, events.NATS}, "changes.state": {events.Active, events.Dead}}
	for _, ty := range events.Types {
		values["changes.type"] = append(values["changes.type"], string(ty))
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

var fmtVerbs = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z]`)

// The Vietnamese messages and reasons hold no English word and no raw code
// (the check internal/web applies to the catalog of the other modules).
func TestVietnamese(t *testing.T) {
	cat := i18n.MustLoad(eventsui.Module(nil).Messages)
	for _, k := range cat.Keys(i18n.Vietnamese) {
		if !strings.HasPrefix(k, "changes.") {
			continue
		}
		vi, _ := cat.Lookup(i18n.Vietnamese, k)
		if bad := webtest.Untranslated("<p>" + fmtVerbs.ReplaceAllString(vi, " ") + "</p>"); len(bad) > 0 {
			t.Errorf("vi %s = %q holds English or a code: %q", k, vi, bad)
		}
	}
	for format, vi := range cat.ReasonFormats(i18n.Vietnamese) {
		if bad := webtest.Untranslated("<p>" + fmtVerbs.ReplaceAllString(vi, " ") + "</p>"); len(bad) > 0 {
			t.Errorf("the reason %q is translated %q, which holds English or a code: %q", format, vi, bad)
		}
	}
}
