package auditui

import (
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	_ "github.com/populus-vn/populus/internal/example" // declares its actions
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/people"
	_ "github.com/populus-vn/populus/internal/reconcile/service" // declares its actions
	_ "github.com/populus-vn/populus/internal/secmon"            // declares its actions
	"github.com/populus-vn/populus/internal/staff"
)

// allActions are the actions the audit log can hold: every action of the
// grants table (auth.Actions, with those the capabilities declare), the
// staff accounts' own, and the civil events' (event.<kind>).
func allActions() []string {
	var out []string
	for _, a := range auth.Actions {
		out = append(out, string(a))
	}
	for _, a := range staff.AuditActions {
		out = append(out, string(a))
	}
	for _, k := range []people.EventKind{people.KindBirth, people.KindDeath, people.KindMarriage, people.KindDivorce,
		people.KindResidence, people.KindResidenceRemoval, people.KindCorrection, people.KindImport} {
		out = append(out, "event."+string(k))
	}
	return out
}

// Every action the log can hold is named in words in every language, and
// the Vietnamese words are not the English ones.
func TestEveryActionInWords(t *testing.T) {
	cat := i18n.MustLoad(Module(nil, nil).Messages)
	for _, a := range allActions() {
		vi := words{cat: cat, lang: i18n.Vietnamese}.Action(a)
		en := words{cat: cat, lang: i18n.English}.Action(a)
		if vi == "" || en == "" || vi == en || strings.Contains(vi, a) {
			t.Errorf("action %s: vi %q, en %q", a, vi, en)
		}
	}
	if len(allActions()) < 25 {
		t.Errorf("only %d actions: is the list still complete?", len(allActions()))
	}
}

// The details the platform records are said in words; accounts by name,
// role and unit; the console as the console; a detail of unknown form is
// kept and marked as English on a Vietnamese page.
func TestEntriesInWords(t *testing.T) {
	cat := i18n.MustLoad(Module(nil, nil).Messages)
	unit := func(code string) string {
		return map[string]string{"00004": "Phường Ba Đình", "VN": "Toàn quốc"}[code]
	}
	w := words{cat: cat, lang: i18n.Vietnamese, actors: map[string]Actor{"registrar.badinh": {Name: "Lê Văn Long", Role: auth.Registrar, Unit: "00004"}}}
	for _, tc := range []struct{ detail, want string }{
		{"unit 00004", "ngoài phạm vi: Phường Ba Đình"},
		{"role police_officer", "vai trò không được phép: Cán bộ công an"},
		{"scope commune", "không được phép từ tài khoản cấp xã"},
		{"search, 12 results", "tra cứu, 12 kết quả"},
		{"registrar@00004", "Công chức tư pháp – hộ tịch, Phường Ba Đình"},
		{"the username or password is wrong", "sai tên đăng nhập hoặc mật khẩu"},
		{"throttled: too many attempts at this account", "tạm chặn: quá nhiều lần thử vào tài khoản này"},
		{"refused by a rule: 001203546280 is recorded as deceased", "bị quy định nghiệp vụ từ chối"},
	} {
		got, code, english := w.detail(tc.detail, unit)
		if got != tc.want || code || english {
			t.Errorf("detail %q: %q (code %v, English %v), want %q", tc.detail, got, code, english, tc.want)
		}
	}
	if got, code, _ := w.detail("01JAZ6X2Q8", unit); !code || got != "01JAZ6X2Q8" {
		t.Errorf("an event ID: %q, code %v", got, code)
	}
	if _, _, english := w.detail("something new happened", unit); !english {
		t.Error("a detail of unknown form is not marked as English")
	}
	rows := w.rows([]audit.View{
		{Entry: audit.Entry{Actor: "staff:registrar.badinh", Action: "person.read", Subject: "001203546280", Outcome: audit.OK}},
		{Entry: audit.Entry{Actor: "system:cli", Action: "staff.create", Subject: "staff:registrar.badinh", Outcome: audit.OK, Detail: "registrar@00004"}},
		{Entry: audit.Entry{Actor: "staff:nobody", Action: "staff.signin", Subject: "staff:nobody", Outcome: audit.Failed}},
	}, unit)
	if r := rows[0]; r.Who.Actor == nil || r.Who.Actor.Name != "Lê Văn Long" || r.What != "Xem hồ sơ công dân" || r.Subject.ID != "" {
		t.Errorf("a read: %+v", r)
	}
	if r := rows[1]; !r.Who.Console || r.Subject.Actor == nil || r.Subject.Actor.Name != "Lê Văn Long" {
		t.Errorf("the console's creation: %+v", r)
	}
	if r := rows[2]; r.Who.Staff != "nobody" || r.Who.Actor != nil {
		t.Errorf("a failed sign-in of no account: %+v", r)
	}
	if got := usernames([]audit.View{{Entry: audit.Entry{Actor: "staff:a", Subject: "staff:b"}}, {Entry: audit.Entry{Actor: "staff:a", Subject: "0012"}}}); len(got) != 2 {
		t.Errorf("usernames = %v, want a and b once", got)
	}
}
