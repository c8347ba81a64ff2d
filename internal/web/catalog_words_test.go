package web_test

import (
	"regexp"
	"testing"

	"github.com/populus-vn/populus/internal/audit/auditui"
	"github.com/populus-vn/populus/internal/example/exampleui"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/reconcile/report"
	"github.com/populus-vn/populus/internal/reconcile/service/jobsui"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/secmon/secmonui"
	"github.com/populus-vn/populus/internal/staff/staffui"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// sameInBothLanguages are the messages whose Vietnamese is rightly the
// English: proper names, codes of standards, formats.
var sameInBothLanguages = regexp.MustCompile(`^(lang\.|unit\.VN$|report\.unit\.)`)

// asciiWord is a word of three letters or more without diacritics.
var asciiWord = regexp.MustCompile(`\b[A-Za-z]{3,}\b`)

// verbs are the fmt verbs of a message, which this test does not read as
// words.
var verbs = regexp.MustCompile(`%(\[\d+\])?[-+# 0-9.]*[a-zA-Z]`)

// Every Vietnamese message of the whole catalog (the shell's and every
// module's, the report's) is Vietnamese: no English words, no raw codes,
// and, outside names and formats, not the English message itself.
func TestVietnameseCatalogIsVietnamese(t *testing.T) {
	cat, err := i18n.Load(report.Messages, auditui.Module(nil, nil).Messages, registerui.Module(nil).Messages,
		jobsui.Module(nil).Messages, secmonui.Module(nil).Messages, staffui.Module(nil).Messages, exampleui.Module(nil).Messages)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range cat.Keys(i18n.Vietnamese) {
		vi, _ := cat.Lookup(i18n.Vietnamese, k)
		en, _ := cat.Lookup(i18n.English, k)
		n++
		if bad := webtest.Untranslated("<p>" + verbs.ReplaceAllString(vi, " ") + "</p>"); len(bad) > 0 {
			t.Errorf("vi %s = %q holds English or a code: %q", k, vi, bad)
		}
		if vi == en && asciiWord.MatchString(verbs.ReplaceAllString(vi, "")) && !sameInBothLanguages.MatchString(k) {
			t.Errorf("vi %s is the English %q", k, en)
		}
	}
	// And the translations of field errors' reasons and of details.
	for format, vi := range cat.ReasonFormats(i18n.Vietnamese) {
		n++
		if bad := webtest.Untranslated("<p>" + verbs.ReplaceAllString(vi, " ") + "</p>"); len(bad) > 0 {
			t.Errorf("the reason %q is translated %q, which holds English or a code: %q", format, vi, bad)
		}
	}
	if n < 300 {
		t.Errorf("only %d messages: are the modules' fragments still loaded?", n)
	}
}
