package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fieldErrorCalls are the functions whose second argument is the format of
// a field error's reason (problem.Fields.Add, problem.Field,
// problem.NewFieldError, and the reconciliation service's badRequest).
var fieldErrorCalls = []string{"Add", "Field", "NewFieldError", "badRequest"}

// TestReasonsTranslated finds every field-error format in the source and
// checks that the Vietnamese catalog translates it with the same verbs, so
// that an officer never reads an English reason on a Vietnamese page.
func TestReasonsTranslated(t *testing.T) {
	c := MustLoad()
	vi := c.ReasonFormats(Vietnamese)
	found := map[string]string{} // format → where
	root := filepath.Join("..", "..")
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
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			if !slices.Contains(fieldErrorCalls, name) {
				return true
			}
			field, ok1 := call.Args[0].(*ast.BasicLit)
			format, ok2 := call.Args[1].(*ast.BasicLit)
			if !ok1 || !ok2 || field.Kind != token.STRING || format.Kind != token.STRING {
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
	for format := range vi {
		if _, ok := found[format]; !ok {
			t.Errorf("reasons.vi.json translates %q, which no code uses", format)
		}
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
