package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
)

//go:embed templates static
var assets embed.FS

// pageFiles are the templates that are pages; each is parsed with the
// layout and the partials.
var pageFiles = []string{"login", "dashboard", "error"}

// parseTemplates parses the shell's pages and the modules' (as
// "module/page"), each with the layout and the partials, and a module's
// with its own partials and functions too.
func (s *Server) parseTemplates() error {
	s.pages = map[string]map[string]*template.Template{}
	s.partials = map[string]map[string]*template.Template{}
	for _, lang := range s.cat.Languages() {
		s.pages[lang] = map[string]*template.Template{}
		s.partials[lang] = map[string]*template.Template{}
		funcs := s.funcs(lang)
		shell, err := template.New("shell").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials.html")
		if err != nil {
			return err
		}
		parse := func(key string, base *template.Template, fsys fs.FS, file string) error {
			t, err := base.Clone()
			if err == nil {
				t, err = t.ParseFS(fsys, file)
			}
			if err != nil {
				return fmt.Errorf("web: page %s: %w", key, err)
			}
			s.pages[lang][key] = t
			return nil
		}
		for _, name := range pageFiles {
			if err := parse(name, shell, assets, "templates/"+name+".html"); err != nil {
				return err
			}
		}
		for _, m := range s.mods {
			if m.Templates == nil {
				continue
			}
			base, err := shell.Clone()
			if err != nil {
				return err
			}
			if m.Funcs != nil {
				own := m.Funcs(Locale{Lang: lang, T: funcs["T"].(func(string, ...any) string), Unit: funcs["unit"].(func(string) string)})
				for name := range own {
					if _, ok := funcs[name]; ok {
						return fmt.Errorf("web: module %s: the template function %s is the shell's", m.Name, name)
					}
				}
				base.Funcs(own)
			}
			files, err := fs.Glob(m.Templates, "*.html")
			if err != nil {
				return err
			}
			var pages []string
			for _, f := range files {
				if !strings.HasPrefix(f, "_") {
					pages = append(pages, f)
				} else if base, err = base.ParseFS(m.Templates, f); err != nil {
					return fmt.Errorf("web: module %s: %w", m.Name, err)
				}
			}
			for _, f := range pages {
				if err := parse(m.Name+"/"+strings.TrimSuffix(f, ".html"), base, m.Templates, f); err != nil {
					return err
				}
			}
			// Cloned no more: it writes the module's cards.
			s.partials[lang][m.Name] = base
		}
	}
	return nil
}

// shellMenu are the entries of the menu that the shell's own pages have.
var shellMenu = []MenuEntry{
	{Path: "/", Label: "nav.home", Nav: "home"},
}

// view is what every page template receives; Data is the page's own.
type view struct {
	Lang  string
	Title string // message ID of the page title
	User  *auth.Principal
	CSRF  string
	Path  string      // the request URI, to come back to after a language switch
	Nav   string      // the active navigation entry
	Menu  []MenuEntry // the menu entries the user is shown
	Flash string      // message ID of a notice: done, or (FlashRefused) not done
	// FlashRefused: the notice says an act was refused (its ID begins
	// with flash.refused.), shown as an error.
	FlashRefused bool
	Demo         bool
	// DemoCitizens are the demo's citizens (sign-in pages show them).
	DemoCitizens []DemoCitizen
	Asset        string // query string that versions the static files
	// Citizen is a page of the citizen portal (a citizen's session, or a
	// path under /eid/): its home is the portal's, not the staff's.
	Citizen bool
	Data    any
}

// Home is the page's home: the citizen portal's on its pages, else the
// staff's.
func (v view) Home() string {
	if v.Citizen {
		return "/eid/me"
	}
	return "/"
}

// render writes the page name with status. It renders into a buffer first
// so that a template error becomes an error page, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title, nav string, data any) {
	lang := s.cat.Negotiate(r)
	v := view{Lang: lang, Title: title, Path: r.URL.RequestURI(), Nav: nav, Demo: s.demo, DemoCitizens: s.demoCitizens, Asset: s.assetV, Data: data}
	p, ok := auth.FromContext(r.Context())
	if ok && p.Kind == auth.KindCitizen || strings.HasPrefix(r.URL.Path, "/eid/") {
		v.Citizen = true
	}
	// The shell's account menu and navigation are the staff's: a citizen on
	// the portal's pages is not shown as a staff account.
	if ok && p.Kind != auth.KindCitizen {
		v.User = &p
		v.CSRF = staff.CSRFToken(r.Context())
		for _, e := range s.menu {
			if e.shows(p) {
				v.Menu = append(v.Menu, e)
			}
		}
	}
	if r.Method == http.MethodGet {
		v.Flash = s.takeFlash(w, r)
		v.FlashRefused = strings.HasPrefix(v.Flash, flashPrefix+"refused.")
	}
	var buf bytes.Buffer
	if err := s.pages[lang][name].ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	// Pages show personal data: never keep them in a shared cache or in
	// the browser's history cache of a shared terminal.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errorView is the data of the error page.
type errorView struct {
	Status int
	Kind   string // message ID suffix: forbidden, not-found, …
	Detail string
	Fields []errorField
}

// errorField is a wrong field on the error page: its label and why.
type errorField struct{ Label, Reason string }

// renderError writes err as an error page, with the status its kind maps to
// (problem.Kind.Status, the one mapping of the project). Internal errors are
// logged and their text kept from the page. The detail and the fields'
// reasons are shown in the page's language, where the catalog translates
// them (Catalog.Reason), and left out where it does not: an officer never
// reads English, or a Go error, on a Vietnamese page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	httpx.SetRetryAfter(w, err)
	body := problem.BodyOf(err, r.URL.Path)
	kind := problem.KindOf(err)
	lang := s.cat.Negotiate(r)
	detail, fields := s.errorDetail(lang, err)
	if body.Status >= 500 {
		s.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "route", httpx.RouteName(r), "err", err)
		kind, detail, fields = problem.Internal, "", nil
	}
	if httpx.IsCSRF(err) {
		kind, detail = "csrf", ""
	}
	if _, ok := s.cat.Lookup(i18n.Vietnamese, "error."+string(kind)+".title"); !ok {
		kind = problem.Internal
	}
	s.render(w, r, body.Status, "error", "error."+string(kind)+".title", "", errorView{Status: body.Status, Kind: string(kind), Detail: detail, Fields: fields})
}

// LocalizeProblem is the API's problem documents in the language of the
// request's Accept-Language (server.Deps.Localize): the title, and the
// detail and each field's reason where the catalog translates them; an
// API asked for no language of the catalog, or for English, answers in
// English. Only that header counts (not the pages' cookie): a program
// asks for the language it shows.
func (s *Server) LocalizeProblem(r *http.Request, b *problem.Body, err error) string {
	lang := s.cat.AcceptLanguage(r)
	if lang == "" || lang == i18n.English {
		return ""
	}
	var pe *problem.Error
	kind := problem.Internal
	if errors.As(err, &pe) && b.Status < 500 {
		kind = pe.Kind
		if d := s.cat.Reason(lang, pe.Format, "", pe.Args...); d != "" {
			b.Detail = d
		}
		// The body's errors are the error's own slice: translated in a
		// copy, the error (perhaps a package's value) stays English.
		b.Errors = slices.Clone(b.Errors)
		for i, fe := range pe.Fields {
			if i < len(b.Errors) && b.Errors[i].Field == fe.Field {
				if rs := s.cat.Reason(lang, fe.Format, "", fe.Args...); rs != "" {
					b.Errors[i].Reason = rs
				}
			}
		}
	}
	if t, ok := s.cat.Lookup(lang, "error."+string(kind)+".title"); ok {
		b.Title = t
	}
	return lang
}

// errorDetail returns err's detail and field errors in lang: in English as
// written, in another language only where the catalog translates them.
func (s *Server) errorDetail(lang string, err error) (string, []errorField) {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return "", nil
	}
	orig := func(x string) string {
		if lang == i18n.English {
			return x
		}
		return ""
	}
	detail := s.cat.Reason(lang, pe.Format, orig(pe.Detail), pe.Args...)
	var fields []errorField
	for _, fe := range pe.Fields {
		reason := s.cat.Reason(lang, fe.Format, orig(fe.Reason), fe.Args...)
		label, ok := s.cat.Lookup(lang, "field."+fe.Field)
		if reason == "" || !ok && lang != i18n.English {
			continue
		}
		if !ok {
			label = fe.Field
		}
		fields = append(fields, errorField{Label: label, Reason: reason})
	}
	return detail, fields
}

// Flash notices say, after a redirect, that something was done (a civil
// event recorded): Kit.Flash. The cookie holds the notice's message ID,
// shown only if it is a flash notice of the catalog.
const (
	flashCookie = "populus_flash"
	flashPrefix = "flash."
)

func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, id string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: id, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if _, ok := s.cat.Lookup(i18n.Vietnamese, c.Value); !ok || !strings.HasPrefix(c.Value, flashPrefix) {
		return ""
	}
	return c.Value
}

// static serves the embedded stylesheet and script. Their URLs carry a
// version, so they can be cached for good.
func (s *Server) static() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == s.assetV {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// assetVersion is a digest of the static files.
func assetVersion() string {
	h := sha256.New()
	fs.WalkDir(assets, "static", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assets.ReadFile(path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}
