package dbtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db"
)

// Catalog is what a store's schema holds, described alike on both engines
// so that two stores can be compared: its tables by name.
type Catalog map[string]Table

// Table is a table's columns and indexes.
type Table struct {
	// Schema is where the table lives: "" for the main one, or the name of
	// the attached SQLite file (db.Attach).
	Schema string
	// Columns maps a column to its type, loosely: "integer", "text", "real", "bytes"
	// or, for any other, the engine's own name.
	Columns map[string]string
	// Indexes maps an index to its description: UNIQUE when unique, then
	// its columns in order. Indexes of a primary key are named
	// <table>_pkey and those of a UNIQUE constraint <table>_<columns>_key
	// on both engines, as PostgreSQL names them; on SQLite the table's own
	// B-tree of an INTEGER PRIMARY KEY counts as <table>_pkey.
	Indexes map[string]string
}

// Describe reads d's catalog: every table of the store, on SQLite those of
// attached files too, with SQLite's own tables left out.
func Describe(t testing.TB, d *db.DB) Catalog {
	t.Helper()
	c, err := describe(context.Background(), d)
	if err != nil {
		t.Fatalf("describe the %s store: %v", d.Engine, err)
	}
	return c
}

func describe(ctx context.Context, d *db.DB) (Catalog, error) {
	c := Catalog{}
	if d.Engine == db.Postgres {
		return c, describePostgres(ctx, d, c)
	}
	rows, err := d.QueryContext(ctx, `SELECT name FROM pragma_database_list WHERE name <> 'temp'`)
	schemas, err := db.Collect(rows, err, scanString)
	if err != nil {
		return nil, err
	}
	for _, s := range schemas {
		rows, err := d.QueryContext(ctx, `SELECT name FROM `+s+`.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
		tables, err := db.Collect(rows, err, scanString)
		if err != nil {
			return nil, err
		}
		for _, name := range tables {
			tb := Table{Columns: map[string]string{}, Indexes: map[string]string{}}
			if s != "main" {
				tb.Schema = s
			}
			type col struct {
				name, typ string
				pk        int
			}
			rows, err := d.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info($1, $2)`, name, s)
			cols, err := db.Collect(rows, err, func(r db.Scanner) (c col, err error) { err = r.Scan(&c.name, &c.typ, &c.pk); return c, err })
			if err != nil {
				return nil, err
			}
			var pk []string
			slices.SortFunc(cols, func(a, b col) int { return a.pk - b.pk })
			for _, c := range cols {
				tb.Columns[c.name] = looseType(c.typ)
				if c.pk > 0 {
					pk = append(pk, c.name)
				}
			}
			type index struct {
				name, origin string
				unique       bool
			}
			rows, err = d.QueryContext(ctx, `SELECT name, "unique", origin FROM pragma_index_list($1, $2)`, name, s)
			idx, err := db.Collect(rows, err, func(r db.Scanner) (i index, err error) { err = r.Scan(&i.name, &i.unique, &i.origin); return i, err })
			if err != nil {
				return nil, err
			}
			hasPK := false
			for _, ix := range idx {
				rows, err := d.QueryContext(ctx, `SELECT name FROM pragma_index_info($1, $2) ORDER BY seqno`, ix.name, s)
				cols, err := db.Collect(rows, err, scanString)
				if err != nil {
					return nil, err
				}
				n := ix.name
				switch ix.origin {
				case "pk":
					n, hasPK = name+"_pkey", true
				case "u":
					n = name + "_" + strings.Join(cols, "_") + "_key"
				}
				tb.Indexes[n] = indexDesc(ix.unique, cols)
			}
			if !hasPK && len(pk) > 0 {
				tb.Indexes[name+"_pkey"] = indexDesc(true, pk)
			}
			c[name] = tb
		}
	}
	return c, nil
}

func describePostgres(ctx context.Context, d *db.DB, c Catalog) error {
	rows, err := d.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'`)
	type col struct{ table, name, typ string }
	cols, err := db.Collect(rows, err, func(r db.Scanner) (c col, err error) { err = r.Scan(&c.table, &c.name, &c.typ); return c, err })
	if err != nil {
		return err
	}
	for _, cl := range cols {
		tb, ok := c[cl.table]
		if !ok {
			tb = Table{Columns: map[string]string{}, Indexes: map[string]string{}}
			c[cl.table] = tb
		}
		tb.Columns[cl.name] = looseType(cl.typ)
	}
	rows, err = d.QueryContext(ctx, `SELECT t.relname, i.relname, ix.indisunique, a.attname
		FROM pg_index ix
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
		WHERE n.nspname = current_schema()
		ORDER BY t.relname, i.relname, k.ord`)
	type icol struct {
		table, index, col string
		unique            bool
	}
	icols, err := db.Collect(rows, err, func(r db.Scanner) (c icol, err error) {
		err = r.Scan(&c.table, &c.index, &c.unique, &c.col)
		return c, err
	})
	if err != nil {
		return err
	}
	byIndex := map[[2]string][]string{}
	unique := map[[2]string]bool{}
	for _, ic := range icols {
		k := [2]string{ic.table, ic.index}
		byIndex[k] = append(byIndex[k], ic.col)
		unique[k] = ic.unique
	}
	for k, cols := range byIndex {
		if tb, ok := c[k[0]]; ok {
			tb.Indexes[k[1]] = indexDesc(unique[k], cols)
		}
	}
	return nil
}

func scanString(r db.Scanner) (s string, err error) { err = r.Scan(&s); return s, err }

func indexDesc(unique bool, cols []string) string {
	s := "(" + strings.Join(cols, ", ") + ")"
	if unique {
		return "UNIQUE " + s
	}
	return s
}

// looseType maps an engine's column type to what both engines share.
func looseType(t string) string {
	t = strings.ToLower(t)
	switch {
	case strings.Contains(t, "int"):
		return "integer"
	case strings.Contains(t, "text"), strings.Contains(t, "char"):
		return "text"
	case strings.Contains(t, "real"), strings.Contains(t, "double"), strings.Contains(t, "float"):
		return "real"
	case t == "blob", t == "bytea":
		return "bytes"
	}
	return t
}

// Diff lists, one line each, how catalog b differs from a (named an and
// bn in the lines): tables, their schema, columns and types, indexes and
// their columns. The lines are sorted, and stable enough to be declared
// (see Declared).
func Diff(an string, a Catalog, bn string, b Catalog) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(a)) {
		ta, ok := a[name]
		tb, inB := b[name]
		if !ok {
			continue
		}
		if !inB {
			out = append(out, fmt.Sprintf("table %s: only on %s", name, an))
			continue
		}
		if ta.Schema != tb.Schema {
			out = append(out, fmt.Sprintf("table %s: in schema %q on %s, %q on %s", name, ta.Schema, an, tb.Schema, bn))
		}
		out = append(out, diffMap("column "+name+".", "type", an, ta.Columns, bn, tb.Columns)...)
		out = append(out, diffMap("index "+name+".", "", an, ta.Indexes, bn, tb.Indexes)...)
	}
	for _, name := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[name]; !ok {
			out = append(out, fmt.Sprintf("table %s: only on %s", name, bn))
		}
	}
	slices.Sort(out)
	return out
}

func diffMap(prefix, what, an string, a map[string]string, bn string, b map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		vb, ok := b[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s%s: only on %s", prefix, k, an))
		case a[k] != vb:
			out = append(out, fmt.Sprintf("%s%s: %s%s on %s, %s on %s", prefix, k, what+sep(what), a[k], an, vb, bn))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%s%s: only on %s", prefix, k, bn))
		}
	}
	return out
}

func sep(s string) string {
	if s == "" {
		return ""
	}
	return " "
}

// Declared is a difference between the engines' schemas that is meant, with
// the reason.
type Declared struct {
	Diff   string // a line of Diff, exactly
	Reason string
}

// Parity returns the problems of two catalogs that should be alike but for
// the declared differences: each difference not declared, and each
// declaration that no longer holds (so that a fixed difference is
// undeclared too).
func Parity(an string, a Catalog, bn string, b Catalog, declared []Declared) []string {
	var problems []string
	diffs := Diff(an, a, bn, b)
	for _, d := range diffs {
		if !slices.ContainsFunc(declared, func(x Declared) bool { return x.Diff == d }) {
			problems = append(problems, "undeclared difference: "+d)
		}
	}
	for _, x := range declared {
		if x.Reason == "" {
			problems = append(problems, "difference declared without a reason: "+x.Diff)
		}
		if !slices.Contains(diffs, x.Diff) {
			problems = append(problems, "declared difference not found: "+x.Diff)
		}
	}
	return problems
}
