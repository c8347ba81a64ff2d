// Package webtest helps the tests of a web.Module check its messages: every
// message ID its templates name must be in the catalog it is served with.
package webtest

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
)

var (
	literal = regexp.MustCompile(`\b(?:T|optional) "([a-z0-9_.-]+)"`)
	dynamic = regexp.MustCompile(`print "([a-z_.-]+)\." `)
)

// MessageIDs returns the message IDs that the templates (*.html, in any
// folder) of fsys name literally ({{T "audit.title"}}, {{optional "x"}}),
// and the prefixes of those they build from a value ({{T (print
// "audit.outcome." .Outcome)}} gives "audit.outcome"), each sorted once.
func MessageIDs(fsys fs.FS) (ids, prefixes []string, err error) {
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(path, ".html") {
			return nil
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			ids = append(ids, m[1])
		}
		for _, m := range dynamic.FindAllStringSubmatch(string(b), -1) {
			prefixes = append(prefixes, m[1])
		}
		return nil
	})
	slices.Sort(ids)
	slices.Sort(prefixes)
	return slices.Compact(ids), slices.Compact(prefixes), err
}
