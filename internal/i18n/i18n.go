// Package i18n holds the message catalogs of Populus's user interface and
// chooses the language of a request. Vietnamese is the default and the
// reference; English is available to every page.
//
// Messages are looked up by ID ("nav.search", "field.birth_date") in the
// embedded vi.json and en.json, the shell's, merged at start with the
// fragments of the capabilities (their pages' messages, the report's):
// each must hold the same IDs in every language, and no ID may be in two
// fragments (Load refuses them).
// A message may take fmt arguments; translations that reorder them use
// explicit indexes (%[2]s).
//
// Dates are written the Vietnamese way, DD/MM/YYYY, in every language: the
// register is Vietnamese and so are its documents.
//
// It must never hold a message outside the catalogs: every string an officer
// reads on a page comes from here.
package i18n

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/problem"
)

// Languages, with the default first.
const (
	Vietnamese = "vi"
	English    = "en"
)

// CookieName is the cookie that remembers the language an officer chose.
const CookieName = "lang"

//go:embed vi.json en.json reasons.vi.json
var catalogFS embed.FS

// Catalog holds the messages of every language.
type Catalog struct {
	langs   []string
	msgs    map[string]map[string]string
	matcher language.Matcher
	// reasons translate the reasons of field errors, keyed by their
	// English format (reasons.<lang>.json; English needs none).
	reasons map[string]map[string]string
}

// Load reads the embedded catalogs (the shell's messages and the reasons
// of field errors) and merges the fragments into them: each fragment is a
// capability's messages, a file per language (vi.json, en.json) at its
// root. A fragment that repeats a message ID of the catalog or of another
// fragment is refused, as is one whose languages do not hold the same IDs
// with the same arguments.
func Load(fragments ...fs.FS) (*Catalog, error) {
	c := &Catalog{langs: []string{Vietnamese, English}, msgs: map[string]map[string]string{}}
	tags := make([]language.Tag, len(c.langs))
	for i, l := range c.langs {
		c.msgs[l] = map[string]string{}
		tags[i] = language.Make(l)
	}
	c.matcher = language.NewMatcher(tags)
	c.reasons = map[string]map[string]string{}
	for _, l := range c.langs {
		c.reasons[l] = map[string]string{}
	}
	if err := c.merge("i18n", catalogFS); err != nil {
		return nil, err
	}
	for i, f := range fragments {
		if err := c.merge(fmt.Sprintf("fragment %d", i+1), f); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// With returns a copy of c with the fragments merged in, on the terms of
// Load: a fragment may not repeat a message ID c already has.
func (c *Catalog) With(fragments ...fs.FS) (*Catalog, error) {
	n := &Catalog{langs: c.langs, matcher: c.matcher, reasons: map[string]map[string]string{}, msgs: map[string]map[string]string{}}
	for l, m := range c.msgs {
		n.msgs[l] = maps.Clone(m)
	}
	for l, m := range c.reasons {
		n.reasons[l] = maps.Clone(m)
	}
	for i, f := range fragments {
		if err := n.merge(fmt.Sprintf("fragment %d", i+1), f); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// argVerb matches a fmt verb, with its explicit index if any.
var argVerb = regexp.MustCompile(`%(\[\d+\])?[a-z]`)

// merge adds the messages of one fragment, checking them first, and the
// translations of field errors' reasons it may hold (reasons.<lang>.json for
// each language but English, in which the reasons are written); a reason
// translated twice differently is refused.
func (c *Catalog) merge(name string, f fs.FS) error {
	for _, l := range c.langs[:1] {
		b, err := fs.ReadFile(f, "reasons."+l+".json")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("i18n: %s: %w", name, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("i18n: %s: reasons.%s.json: %w", name, l, err)
		}
		for k, v := range m {
			if old, ok := c.reasons[l][k]; ok && old != v {
				return fmt.Errorf("i18n: %s: the reason %q is translated twice, differently", name, k)
			}
			c.reasons[l][k] = v
		}
	}
	frag := map[string]map[string]string{}
	for _, l := range c.langs {
		b, err := fs.ReadFile(f, l+".json")
		if err != nil {
			return fmt.Errorf("i18n: %s: %w", name, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("i18n: %s: %s.json: %w", name, l, err)
		}
		frag[l] = m
	}
	ref := frag[c.langs[0]]
	for _, l := range c.langs {
		for k, v := range frag[l] {
			r, ok := ref[k]
			switch {
			case !ok:
				return fmt.Errorf("i18n: %s: %q is in %s.json but not in %s.json", name, k, l, c.langs[0])
			case v == "":
				return fmt.Errorf("i18n: %s: %q is empty in %s.json", name, k, l)
			case len(argVerb.FindAllString(v, -1)) != len(argVerb.FindAllString(r, -1)):
				return fmt.Errorf("i18n: %s: %q takes different arguments in %s.json and %s.json", name, k, l, c.langs[0])
			}
			if _, dup := c.msgs[l][k]; dup {
				return fmt.Errorf("i18n: %s: message %q is defined twice", name, k)
			}
		}
		if len(frag[l]) != len(ref) {
			return fmt.Errorf("i18n: %s: %s.json and %s.json hold different messages", name, l, c.langs[0])
		}
	}
	for _, l := range c.langs {
		maps.Copy(c.msgs[l], frag[l])
	}
	return nil
}

// Reason returns the reason of a field error (problem.FieldError) in lang:
// the translation of its English format, formatted with its arguments, or
// reason itself in English or when the message has none (a reason passed
// on from an error without a format). Arguments that are messages
// themselves (problem.Formatted: a PIN or date error, a word inside one,
// or errors.Join of such errors) are translated too, where lang has them.
func (c *Catalog) Reason(lang, format, reason string, args ...any) string {
	if t, ok := c.reasons[lang][format]; ok && format != "" {
		return fmt.Sprintf(t, c.reasonArgs(lang, args, 0)...)
	}
	return reason
}

// maxReasonDepth bounds how deep Reason follows messages inside messages
// (a PIN error inside a reason, a word inside the PIN error).
const maxReasonDepth = 4

// reasonArgs returns args with each argument that is a message translated
// into lang, leaving the others (and messages lang does not translate) as
// they are; args itself when nothing is translated.
func (c *Catalog) reasonArgs(lang string, args []any, depth int) []any {
	var out []any
	for i, a := range args {
		s, ok := c.message(lang, a, depth+1)
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = s
	}
	if out == nil {
		return args
	}
	return out
}

// message translates x into lang when it is a problem.Formatted whose
// format lang translates, or an errors.Join of errors (each translated
// where it can be, joined by newlines as errors.Join writes them).
func (c *Catalog) message(lang string, x any, depth int) (string, bool) {
	if depth > maxReasonDepth {
		return "", false
	}
	if m, ok := x.(problem.Formatted); ok {
		format, args := m.FormatArgs()
		t, ok := c.reasons[lang][format]
		if !ok || format == "" {
			return "", false
		}
		return fmt.Sprintf(t, c.reasonArgs(lang, args, depth)...), true
	}
	j, ok := x.(interface {
		error
		Unwrap() []error
	})
	if !ok {
		return "", false
	}
	errs := j.Unwrap()
	parts := make([]string, len(errs))
	english := make([]string, len(errs))
	translated := false
	for i, e := range errs {
		english[i] = e.Error()
		parts[i] = english[i]
		if s, ok := c.message(lang, e, depth+1); ok {
			parts[i], translated = s, true
		}
	}
	// Only a join that writes its parts one per line, as errors.Join does,
	// can be rewritten part by part.
	if !translated || j.Error() != strings.Join(english, "\n") {
		return "", false
	}
	return strings.Join(parts, "\n"), true
}

// ReasonFormats returns the English formats that lang translates.
func (c *Catalog) ReasonFormats(lang string) map[string]string { return c.reasons[lang] }

// MustLoad is Load for program start and tests: the catalogs are embedded
// and tested, so failing to load them is a build defect.
func MustLoad(fragments ...fs.FS) *Catalog {
	c, err := Load(fragments...)
	if err != nil {
		panic(err)
	}
	return c
}

// Languages returns the supported languages, the default first.
func (c *Catalog) Languages() []string { return slices.Clone(c.langs) }

// Supported reports whether lang is one of the catalog's languages.
func (c *Catalog) Supported(lang string) bool { return slices.Contains(c.langs, lang) }

// Keys returns the message IDs of lang, sorted.
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Lookup returns the message key in lang, formatted with args.
func (c *Catalog) Lookup(lang, key string, args ...any) (string, bool) {
	m, ok := c.msgs[lang][key]
	if !ok {
		return "", false
	}
	if len(args) > 0 {
		m = fmt.Sprintf(m, args...)
	}
	return m, true
}

// T returns the message key in lang, formatted with args; a missing
// message shows as its key, which the catalog tests keep from happening.
func (c *Catalog) T(lang, key string, args ...any) string {
	if m, ok := c.Lookup(lang, key, args...); ok {
		return m
	}
	return key
}

// Negotiate chooses the language of a request: the lang cookie if it names
// a supported language, else the best match of Accept-Language, else
// Vietnamese.
func (c *Catalog) Negotiate(r *http.Request) string {
	if ck, err := r.Cookie(CookieName); err == nil && c.Supported(ck.Value) {
		return ck.Value
	}
	if lang := c.AcceptLanguage(r); lang != "" {
		return lang
	}
	return Vietnamese
}

// AcceptLanguage is the catalog's language that r's Accept-Language header
// asks for, or "" when it asks for none of them (an API answers in its
// own words then: English).
func (c *Catalog) AcceptLanguage(r *http.Request) string {
	al := r.Header.Get("Accept-Language")
	if al == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(al)
	if err != nil || len(tags) == 0 {
		return ""
	}
	if _, i, conf := c.matcher.Match(tags...); conf != language.No {
		return c.langs[i]
	}
	return ""
}

// SetLanguage remembers lang for a year in the lang cookie; secure marks
// the cookie for HTTPS only.
func SetLanguage(w http.ResponseWriter, lang string, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// Date writes a civil date the Vietnamese way: DD/MM/YYYY, MM/YYYY or YYYY.
func Date(d civil.Date) string { return d.VN() }

// Through writes the end of a validity as the last day it covers where it
// ends at a midnight in Vietnam (valid until 01/07/2027 00:00 is valid
// through 30/06/2027), else as Time.
func Through(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	v := t.In(civil.Vietnam)
	if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 && v.Nanosecond() == 0 {
		return v.AddDate(0, 0, -1).Format("02/01/2006")
	}
	return Time(t)
}

// Time writes an instant as Vietnam's wall clock: 15:04 02/01/2006.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(civil.Vietnam).Format("15:04 02/01/2006")
}
