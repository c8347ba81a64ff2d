package auditui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
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
		{"wrong password", "sai mật khẩu"},
		{"locked by the holder: login 42 reported as not theirs", "chủ tài khoản khóa: báo lần đăng nhập 42 không phải của mình"},
		{"locked by the holder: mất điện thoại", "chủ tài khoản tự khóa: mất điện thoại"},
		{"locked by the holder", "chủ tài khoản tự khóa"},
		{"client demo-bank granted openid profile", "dịch vụ demo-bank được chia sẻ: openid profile"},
		{"account recovering", "tài khoản đang được khôi phục"},
		{"card number differs from the register", "số thẻ không khớp với cơ sở dữ liệu"},
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

// Every audit action any capability defines (a constant named Action… or
// typed auth.Action, or an action declared with auth.Declare), found in the
// source, is named in words: the Vietnamese audit page shows no raw code.
func TestEveryDefinedActionInWords(t *testing.T) {
	root := filepath.Join("..", "..")
	// The whole catalog, as the server merges it: every capability's
	// messages (a key defined twice fails to load, as it would at start).
	var fragments []fs.FS
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "messages" {
			fragments = append(fragments, os.DirFS(path))
		}
		return err
	})
	if err != nil || len(fragments) < 8 {
		t.Fatalf("%d message folders, %v", len(fragments), err)
	}
	cat, err := i18n.Load(fragments...)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				typed := false
				if sel, ok := x.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Action" {
					typed = true
				}
				for i, name := range x.Names {
					if i >= len(x.Values) || !(typed || strings.HasPrefix(name.Name, "Action")) {
						continue
					}
					// An audit action is dotted (capability.act); other
					// Action… constants (a reconciliation's) are not.
					if lit, ok := x.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING && strings.Contains(lit.Value, ".") {
						found[strings.Trim(lit.Value, `"`)] = fset.Position(lit.Pos()).String()
					}
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Declare" && len(x.Args) > 0 {
					if lit, ok := x.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						found[strings.Trim(lit.Value, `"`)] = fset.Position(lit.Pos()).String()
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 50 {
		t.Fatalf("found only %d actions: is the scan still looking at the right places?", len(found))
	}
	for a, where := range found {
		vi := words{cat: cat, lang: i18n.Vietnamese}.Action(a)
		en := words{cat: cat, lang: i18n.English}.Action(a)
		if vi == "" || en == "" {
			t.Errorf("%s: action %s is not named in words (vi %q, en %q)", where, a, vi, en)
		}
	}
}

// The page names the actors that are no staff account by their kind in
// words and their name: a citizen, a relying party, a member system, the
// platform, someone not signed in; an ID of no known kind stays as it is.
func TestActorsOfOtherKinds(t *testing.T) {
	w := words{}
	for id, want := range map[string][2]string{
		"citizen:001051699127":   {"citizen", "001051699127"},
		"client:demo-bank":       {"client", "demo-bank"},
		"member:VN/COM/VCB/EKYC": {"member", "VN/COM/VCB/EKYC"},
		"system:identity":        {"system", "identity"},
		"anonymous":              {"anonymous", ""},
		"staff:registrar.badinh": {"", ""},
		"robot:x":                {"", ""},
	} {
		if got := w.who(id); got.Kind != want[0] || got.Name != want[1] {
			t.Errorf("%s: kind %q name %q, want %q %q", id, got.Kind, got.Name, want[0], want[1])
		}
	}
}
