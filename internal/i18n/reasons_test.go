package i18n

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
)

// fieldErrorCalls are the functions whose second argument is the format of
// a field error's reason (problem.Fields.Add, problem.Field,
// problem.NewFieldError, and the reconciliation service's badRequest).
var fieldErrorCalls = []string{"Add", "Field", "NewFieldError", "badRequest"}

// messageCalls are the functions of the parsers whose errors reach field
// errors as a format and arguments (problem.Formatted), with the index of
// the format among their arguments: the PIN errors and the words inside
// them, and the date errors. Every call must give a constant format, and
// each package must give at least min of them, so that a parser that stops
// using its helper fails here rather than going untranslated.
var messageCalls = []struct {
	dir, name string
	format    int
	min       int
}{
	{"internal/pin", "newError", 2, 12},
	{"internal/pin", "phrase", 0, 7},
	{"internal/civil", "dateError", 0, 7},
	{"internal/register", "term", 0, 16},
	{"internal/people", "why", 0, 8},
	{"internal/exchange", "idError", 0, 9},
	{"internal/exchange", "idWord", 0, 6},
}

// plainErrorFiles are the parsers' files that must make every error with
// their helper (messageCalls), not with fmt.Errorf or errors.New, and every
// *Error or *DateError only inside it.
var plainErrorFiles = []string{"internal/pin/", "internal/civil/date.go"}

// TestReasonsTranslated finds every field-error format in the source and
// checks that the Vietnamese catalog translates it with the same verbs, so
// that an officer never reads an English reason on a Vietnamese page.
func TestReasonsTranslated(t *testing.T) {
	root := filepath.Join("..", "..")
	c := MustLoad(reasonFragments(t, root)...)
	vi := c.ReasonFormats(Vietnamese)
	found := map[string]string{} // format → where
	// details are the formats of problem details (problem.New), and the
	// fixed details of field errors.
	details := map[string]string{}
	for _, err := range []error{problem.Field("x", "y"), func() error { var f problem.Fields; f.Add("x", "y"); return f.Err() }(),
		func() error { var f problem.Fields; f.Add("x", "y"); f.Add("z", "y"); return f.Err() }()} {
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Format == "" {
			t.Fatalf("%v keeps no format for its detail", err)
		}
		details[pe.Format] = "internal/problem"
	}
	counts := make([]int, len(messageCalls))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.Contains(filepath.ToSlash(path), "internal/problem/") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if slices.ContainsFunc(plainErrorFiles, func(p string) bool { return strings.HasPrefix(rel, p) }) {
			checkNoPlainErrors(t, fset, f)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := callName(call)
			for i, m := range messageCalls {
				if name != m.name || filepath.ToSlash(filepath.Dir(rel)) != m.dir {
					continue
				}
				if len(call.Args) <= m.format {
					t.Errorf("%s: %s without its format", fset.Position(call.Pos()), name)
					continue
				}
				s, ok := stringConst(call.Args[m.format])
				if !ok {
					t.Errorf("%s: the format of %s must be a constant string, for translation", fset.Position(call.Pos()), name)
					continue
				}
				found[s] = fset.Position(call.Args[m.format].Pos()).String()
				counts[i]++
			}
			// problem.New's detail: shown on a page only where it is
			// translated, so a translation is optional, but one must
			// match a format the code uses, with the same verbs.
			if name == "New" && qualifier(call) == "problem" && len(call.Args) >= 2 {
				if s, ok := stringConst(call.Args[1]); ok {
					details[s] = fset.Position(call.Args[1].Pos()).String()
				}
				return true
			}
			if len(call.Args) < 2 || !slices.Contains(fieldErrorCalls, name) {
				return true
			}
			// Field is problem.Field, not a form's Field method.
			if name == "Field" && qualifier(call) != "problem" {
				return true
			}
			// The field may be named by a variable in the register (a
			// rule checked on either party of a marriage) and in the
			// electronic identity (a password's field); elsewhere the scan
			// still asks a literal field. The format is a literal.
			format, ok := call.Args[1].(*ast.BasicLit)
			if !ok || format.Kind != token.STRING {
				return true
			}
			if field, ok := call.Args[0].(*ast.BasicLit); (!ok || field.Kind != token.STRING) && !strings.HasPrefix(rel, "internal/register/") && !strings.HasPrefix(rel, "internal/identity/") {
				return true
			}
			s, err := strconv.Unquote(format.Value)
			if err == nil {
				found[s] = fset.Position(format.Pos()).String()
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 40 {
		t.Fatalf("found only %d field-error formats: is the scan still looking at the right calls?", len(found))
	}
	for i, m := range messageCalls {
		if counts[i] < m.min {
			t.Errorf("found %d calls of %s in %s, want at least %d: is the scan still looking at the right calls?", counts[i], m.name, m.dir, m.min)
		}
	}
	for format, where := range found {
		tr, ok := vi[format]
		if !ok {
			t.Errorf("%s: reasons.vi.json does not translate %q", where, format)
			continue
		}
		if a, b := verbs(format), verbs(tr); !slices.Equal(a, b) {
			t.Errorf("%s: %q has verbs %v, its translation %q has %v", where, format, a, tr, b)
		}
	}
	for format, tr := range vi {
		_, ok := found[format]
		if where, detail := details[format]; detail && !ok {
			if a, b := verbs(format), verbs(tr); !slices.Equal(a, b) {
				t.Errorf("%s: %q has verbs %v, its translation %q has %v", where, format, a, tr, b)
			}
			continue
		}
		if !ok {
			t.Errorf("reasons.vi.json translates %q, which no code uses", format)
		}
	}
}

// qualifier is the package (or receiver) name a call is qualified with:
// "problem" for problem.New(…).
func qualifier(call *ast.CallExpr) string {
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
		if id, ok := sel.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return ""
}

// callName is the name of the function a call calls (the selector of a
// method or qualified call).
func callName(call *ast.CallExpr) string {
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		return fn.Sel.Name
	case *ast.Ident:
		return fn.Name
	}
	return ""
}

// stringConst returns the value of a string literal or of a sum of them.
func stringConst(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return stringConst(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := stringConst(x.X)
		b, ok2 := stringConst(x.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

// checkNoPlainErrors reports errors made in a function body other than
// with the parsers' helpers: fmt.Errorf and errors.New (a sentinel error
// declared at package level is fine), and an Error or DateError built
// outside newError and dateError. Such an error would reach pages in
// English.
func checkNoPlainErrors(t *testing.T, fset *token.FileSet, f *ast.File) {
	t.Helper()
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil || fn.Name.Name == "newError" || fn.Name.Name == "dateError" {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "fmt" && sel.Sel.Name == "Errorf" || pkg.Name == "errors" && sel.Sel.Name == "New") {
						t.Errorf("%s: %s.%s in %s: make the error with the package's helper, so that it can be translated",
							fset.Position(x.Pos()), pkg.Name, sel.Sel.Name, fn.Name.Name)
					}
				}
			case *ast.CompositeLit:
				if id, ok := x.Type.(*ast.Ident); ok && (id.Name == "Error" || id.Name == "DateError") {
					t.Errorf("%s: %s built in %s: use the package's helper, so that it can be translated",
						fset.Position(x.Pos()), id.Name, fn.Name.Name)
				}
			}
			return true
		})
	}
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs lists the formatting verbs of a format in order, without %%; a
// translation that reorders its arguments must index them (%[2]s), and
// then its verbs are listed in argument order.
func verbs(format string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(format, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	if len(out) > 0 && strings.HasPrefix(out[0], "%[") {
		slices.SortFunc(out, func(a, b string) int { return strings.Compare(a[:strings.Index(a, "]")], b[:strings.Index(b, "]")]) })
		for i, v := range out {
			out[i] = "%" + v[strings.Index(v, "]")+1:]
		}
	}
	return out
}

func TestReason(t *testing.T) {
	c := MustLoad()
	if got := c.Reason(Vietnamese, "must have at least %d characters", "must have at least 12 characters", 12); got != "phải có ít nhất 12 ký tự" {
		t.Errorf("vi: %q", got)
	}
	if got := c.Reason(English, "must have at least %d characters", "must have at least 12 characters", 12); got != "must have at least 12 characters" {
		t.Errorf("en: %q", got)
	}
	if got := c.Reason(Vietnamese, "", "digit 4 is 1", nil); got != "digit 4 is 1" {
		t.Errorf("no format: %q", got)
	}
}

// TestParserErrorsTranslated follows errors of the PIN and date parsers the
// way the register passes them on, problem.Field(field, "%v", err) or as
// the argument of a longer reason, to the reason a page shows: Vietnamese
// on a Vietnamese page, words inside them included, and the English text
// unchanged on an English one.
func TestParserErrorsTranslated(t *testing.T) {
	c := MustLoad()
	_, _, badDigit := pin.Parse("079085O12345")
	_, _, short := pin.Parse("0")
	_, _, empty := pin.Parse("")
	_, _, province := pin.Parse("099085012345")
	_, cmnd := pin.ParseCMND("079085012345")
	_, cmndShort := pin.ParseCMND("1234")
	_, prefix := pin.Prefix("079", civil.SexUnknown, 2000)
	_, feb29 := civil.ParseDate("2023-02-29")
	_, month := civil.ParseDate("15/13/2003")
	_, shape := civil.ParseDate("2003/07/15")
	_, parts, _ := pin.Parse("001085000001")
	both := parts.CheckPerson(civil.Female, civil.Date{Year: 2086})    // errors.Join of two
	one := parts.CheckPerson(civil.SexUnknown, civil.Date{Year: 2085}) // errors.Join of one

	for _, tc := range []struct {
		err    *problem.Error
		en, vi string
	}{
		{problem.Field("pin", "%v", badDigit),
			`character 7 is "O", not a digit`,
			`ký tự thứ 7 là "O", không phải chữ số`},
		{problem.Field("pin", "%v", short),
			"the number has 1 digit; a personal identification number has 12",
			"số chỉ có 1 chữ số; số định danh cá nhân có 12 chữ số"},
		{problem.Field("pin", "%v", empty),
			"the number is empty; a personal identification number has 12 digits",
			"số đang để trống; số định danh cá nhân có 12 chữ số"},
		{problem.Field("pin", "%v", province),
			"digits 1–3 are 099, which is not a province code of birth registration",
			"chữ số 1–3 là 099, không phải mã tỉnh nơi đăng ký khai sinh"},
		{problem.Field("cmnd", "%v", cmnd),
			"the number has 12 digits; an identity card (CMND) number has 9 (a 12-digit number is a personal identification number)",
			"số có 12 chữ số; số chứng minh nhân dân (CMND) có 9 chữ số (số có 12 chữ số là số định danh cá nhân)"},
		{problem.Field("cmnd", "%v", cmndShort),
			"the number has 4 digits; an identity card (CMND) number has 9",
			"số có 4 chữ số; số chứng minh nhân dân (CMND) có 9 chữ số"},
		{problem.Field("birth_date", "%v", feb29),
			`invalid date: "2023-02-29": day 29 does not exist in 2023-02 (it has 28 days)`,
			`ngày không hợp lệ: "2023-02-29": không có ngày 29 trong tháng 2023-02 (tháng này có 28 ngày)`},
		{problem.Field("birth_date", "%v", month),
			`invalid date: "15/13/2003": month 13 does not exist`,
			`ngày không hợp lệ: "15/13/2003": không có tháng 13`},
		{problem.Field("birth_date", "%v", shape),
			`invalid date: "2003/07/15" is not YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY`,
			`ngày không hợp lệ: "2003/07/15" không có dạng YYYY, YYYY-MM, YYYY-MM-DD hoặc DD/MM/YYYY`},
		// Reasons that carry a parser's error as an argument.
		{problem.Field("birth_place", "no PIN can be issued for a birth registered in %s: %v", "Hà Nội", prefix),
			"no PIN can be issued for a birth registered in Hà Nội: digit 4 needs the sex, male or female, and it is unknown",
			"không thể cấp số định danh cá nhân cho trẻ đăng ký khai sinh tại Hà Nội: chữ số thứ 4 cần biết giới tính (nam hoặc nữ), nhưng giới tính chưa rõ"},
		{problem.Field("birth_date", "disagrees with the PIN %s, which cannot change: %v", "001085000001", both),
			"disagrees with the PIN 001085000001, which cannot change: digit 4 is 0 (male, born 1900–1999) but the record says female, born 2086\n" +
				"digits 5–6 are 85 (born 1985) but the record says born 2086",
			"không khớp với số định danh cá nhân 001085000001, số này không thể thay đổi: chữ số thứ 4 là 0 (nam, sinh trong các năm 1900–1999) nhưng hồ sơ ghi nữ, sinh năm 2086\n" +
				"chữ số 5–6 là 85 (sinh năm 1985) nhưng hồ sơ ghi sinh năm 2086"},
		{problem.Field("birth_date", "disagrees with the PIN %s, which cannot change: %v", "001085000001", one),
			"disagrees with the PIN 001085000001, which cannot change: digit 4 is 0 (male, born 1900–1999) but the record says born 2085",
			"không khớp với số định danh cá nhân 001085000001, số này không thể thay đổi: chữ số thứ 4 là 0 (nam, sinh trong các năm 1900–1999) nhưng hồ sơ ghi sinh năm 2085"},
	} {
		fe := tc.err.Fields[0]
		if fe.Reason != tc.en {
			t.Errorf("English reason %q, want %q", fe.Reason, tc.en)
		}
		if got := c.Reason(English, fe.Format, fe.Reason, fe.Args...); got != tc.en {
			t.Errorf("en: %q, want %q", got, tc.en)
		}
		if got := c.Reason(Vietnamese, fe.Format, fe.Reason, fe.Args...); got != tc.vi {
			t.Errorf("vi: %q\nwant %q", got, tc.vi)
		}
	}

	// Through problem.Fields.AddErr as well.
	var f problem.Fields
	f.AddErr("father_pin", badDigit)
	var pe *problem.Error
	if !errors.As(f.Err(), &pe) {
		t.Fatal("no problem.Error")
	}
	if fe := pe.Fields[0]; c.Reason(Vietnamese, fe.Format, fe.Reason, fe.Args...) != `ký tự thứ 7 là "O", không phải chữ số` {
		t.Errorf("AddErr: vi %q", c.Reason(Vietnamese, fe.Format, fe.Reason, fe.Args...))
	}

	// Errors without a format stay as they are, joined or not.
	plain := errors.Join(errors.New("one"), errors.New("two"))
	fe := problem.Field("x", "disagrees with the PIN %s, which cannot change: %v", "1", plain).Fields[0]
	if got := c.Reason(Vietnamese, fe.Format, fe.Reason, fe.Args...); got != "không khớp với số định danh cá nhân 1, số này không thể thay đổi: one\ntwo" {
		t.Errorf("plain joined error: %q", got)
	}
}

// TestEveryParserErrorTranslated runs the parsers on many wrong inputs and
// checks that the Vietnamese reason of each error differs from the English
// one and keeps none of its English words.
func TestEveryParserErrorTranslated(t *testing.T) {
	c := MustLoad()
	english := regexp.MustCompile(`\b(digit|digits|number|born|record|says|male|female|date|month|day|year|is|not|the|has)\b`)
	var errs []error
	for _, s := range []string{"", "0", "12", "0790850123456", "079085O12345", "Đ79085012345", "099085012345", "000000000", "12345678", "079085012345"} {
		if _, _, err := pin.Parse(s); err != nil {
			errs = append(errs, err)
		}
		if _, err := pin.ParseCMND(s); err != nil {
			errs = append(errs, err)
		}
	}
	for _, s := range []string{"", "x", "2O03", "1799", "2003-13", "2003-02-30", "2003-00-15", "15/0x/2003"} {
		_, err := civil.ParseDate(s)
		errs = append(errs, err)
	}
	var d civil.Date
	errs = append(errs, d.UnmarshalJSON([]byte("3")))
	for _, p := range []string{"079103000001", "001085000001"} {
		_, parts, _ := pin.Parse(p)
		for _, sex := range []civil.Sex{civil.SexUnknown, civil.Male, civil.Female} {
			for _, y := range []int{0, 1903, 1986, 2085} {
				if err := parts.CheckPerson(sex, civil.Date{Year: y}); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	for _, x := range []struct {
		p string
		s civil.Sex
		y int
	}{{"099", civil.Male, 2000}, {"079", civil.SexUnknown, 2000}, {"079", civil.Female, 1899}} {
		_, err := pin.Prefix(x.p, x.s, x.y)
		errs = append(errs, err)
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("a wrong input was accepted")
		}
		fe := problem.Field("f", "%v", err).Fields[0]
		vi := c.Reason(Vietnamese, fe.Format, fe.Reason, fe.Args...)
		if vi == fe.Reason || english.MatchString(vi) {
			t.Errorf("%q is not translated: %q", fe.Reason, vi)
		}
	}
}

// reasonFragments are the catalog fragments of the tree that translate
// reasons of their own (a reasons.vi.json beside their vi.json): a
// capability's reasons are translated in its UI module's messages.
func reasonFragments(t *testing.T, root string) []fs.FS {
	t.Helper()
	var frags []fs.FS
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.Name() == "reasons.vi.json" && filepath.Dir(path) != filepath.Join(root, "internal", "i18n") {
			frags = append(frags, os.DirFS(filepath.Dir(path)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return frags
}
