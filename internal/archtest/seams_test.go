// Package archtest holds tests of the seams between packages that the
// compiler does not enforce. It has no code of its own.
package archtest

import (
	"fmt"
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

// driverImports are the import paths (and prefixes) of database drivers and
// driver-level packages: only internal/db may import them, so that every
// other package reaches the store through internal/db's engine-neutral API.
var driverImports = []string{
	"github.com/jackc/pgx/", // pgx, pgconn, pgx/v5/stdlib (the database/sql driver)
	"github.com/jackc/pgconn",
	"github.com/lib/pq",
	"modernc.org/sqlite",
	"github.com/mattn/go-sqlite3",
	"github.com/ncruces/go-sqlite3",
}

// personsSQL finds SQL naming the table persons in a string literal.
var personsSQL = regexp.MustCompile(`(?i)\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+(\w+\.)?persons\b`)

// personsAllowed are the files outside internal/register that may write SQL
// on persons, each for a reason.
var personsAllowed = map[string]string{
	// The baselines the importer is measured against: sqlite3 .import and
	// psql \copy scripts that load the table directly.
	"bench/seed/main.go": "baseline loads with sqlite3 and psql",
	// The primary-key select alone, the baseline of register.Get.
	"bench/search/main.go": "raw primary-key baseline of register.Get",
}

// TestSeams checks the whole module: (a) no package outside internal/db
// imports a database driver or pgconn, blank imports included; (b) no
// string literal outside internal/register holds SQL on the table persons
// (the register's streaming readers, register.Scan and the others, are the
// way to read it in bulk). Test files count too.
//
// Nothing is exempt from (a): internal/register/change.go still imports
// pgconn (to recognise a serialization failure) and fails this test until
// that import is replaced by an internal/db helper, which is under way on
// another branch.
func TestSeams(t *testing.T) {
	for _, v := range check(t, filepath.Join("..", ".."), ".go") {
		t.Error(v)
	}
}

// TestSeamsFixture makes sure the check can fail: testdata/module breaks
// each rule once, and also does what is allowed. Its files are named
// *.go.fixture, so that no tool takes them for the project's own code; they
// are checked as the .go files they stand for.
func TestSeamsFixture(t *testing.T) {
	got := check(t, filepath.Join("testdata", "module"), ".go.fixture")
	want := []string{
		`internal/bad/bad.go:5:2: imports "github.com/jackc/pgx/v5/pgconn": only internal/db may import database drivers`,
		`internal/bad/bad.go:6:2: imports "modernc.org/sqlite": only internal/db may import database drivers`,
		`internal/bad/bad.go:10:13: SQL on persons ("SELECT count(*) FROM persons"): only internal/register may query it; use its streaming readers`,
		`internal/bad/bad_test.go:5:32: SQL on persons ("update persons set status = 'x'"): only internal/register may query it; use its streaming readers`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("fixture violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// check returns the violations of the Go files (named *ext) under root,
// skipping testdata, hidden and vendor directories, as "path:line:col:
// message" with slash-separated paths relative to root, each named as the
// .go file it is.
func check(t *testing.T, root, ext string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ext) {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = strings.TrimSuffix(filepath.ToSlash(rel), ext) + ".go"
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		at := func(p token.Pos) string {
			pos := fset.Position(p)
			return fmt.Sprintf("%s:%d:%d", rel, pos.Line, pos.Column)
		}
		inDB := under(rel, "internal/db")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !inDB && isDriver(p) {
				out = append(out, fmt.Sprintf("%s: imports %q: only internal/db may import database drivers", at(imp.Pos()), p))
			}
		}
		// internal/archtest: the messages this test expects name the table.
		if under(rel, "internal/register") || under(rel, "internal/archtest") || personsAllowed[rel] != "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				s = lit.Value
			}
			if personsSQL.MatchString(s) {
				out = append(out, fmt.Sprintf("%s: SQL on persons (%q): only internal/register may query it; use its streaming readers", at(lit.Pos()), abbreviate(s)))
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func isDriver(p string) bool {
	for _, d := range driverImports {
		if p == strings.TrimSuffix(d, "/") || strings.HasPrefix(p, d) || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// under reports whether the slash path rel is in directory dir or below.
func under(rel, dir string) bool { return strings.HasPrefix(rel, dir+"/") }

func abbreviate(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
