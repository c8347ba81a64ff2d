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
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
)

//go:embed templates static
var assets embed.FS

// pageFiles are the templates that are pages; each is parsed with the
// layout and the partials.
var pageFiles = []string{"login", "dashboard", "search", "person", "household", "events", "event_form", "error"}

// parseTemplates parses the shell's pages and the modules' (as
// "module/page"), each with the layout and the partials.
func (s *Server) parseTemplates() error {
	s.pages = map[string]map[string]*template.Template{}
	for _, lang := range s.cat.Languages() {
		s.pages[lang] = map[string]*template.Template{}
		shell, err := template.New("shell").Funcs(s.funcs(lang)).ParseFS(assets, "templates/layout.html", "templates/partials.html")
		if err != nil {
			return err
		}
		parse := func(key string, fsys fs.FS, file string) error {
			t, err := shell.Clone()
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
			if err := parse(name, assets, "templates/"+name+".html"); err != nil {
				return err
			}
		}
		for _, m := range s.mods {
			if m.Templates == nil {
				continue
			}
			files, err := fs.Glob(m.Templates, "*.html")
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := parse(m.Name+"/"+strings.TrimSuffix(f, ".html"), m.Templates, f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// shellMenu are the entries of the menu that the shell's own pages have:
// the dashboard and the register's pages.
var shellMenu = []MenuEntry{
	{Path: "/", Label: "nav.home", Nav: "home"},
	{Path: "/register/search", Label: "nav.search", Nav: "search", Actions: []auth.Action{auth.SearchRegister}},
	{Path: "/register/events", Label: "nav.events", Nav: "events", Actions: eventActions()},
}

// eventActions are the actions of the civil-event forms: the events' menu
// entry shows to whoever may use one.
func eventActions() []auth.Action {
	var as []auth.Action
	for _, ef := range eventForms {
		as = append(as, ef.action)
	}
	return as
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
	Flash string      // message ID of a success notice
	Demo  bool
	Asset string // query string that versions the static files
	Data  any
}

// render writes the page name with status. It renders into a buffer first
// so that a template error becomes an error page, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title, nav string, data any) {
	lang := s.cat.Negotiate(r)
	v := view{Lang: lang, Title: title, Path: r.URL.RequestURI(), Nav: nav, Demo: s.demo, Asset: s.assetV, Data: data}
	if p, ok := auth.FromContext(r.Context()); ok {
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
}

// renderError writes err as an error page, with the status its kind maps to
// (problem.Kind.Status, the one mapping of the project). Internal errors are
// logged and their text kept from the page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	var rl *staff.RateLimitError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
	}
	body := problem.BodyOf(err, r.URL.Path)
	kind := problem.KindOf(err)
	detail := body.Detail
	if body.Status >= 500 {
		s.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", r.URL.Path, "err", err)
		kind, detail = problem.Internal, ""
	}
	if _, ok := s.cat.Lookup(i18n.Vietnamese, "error."+string(kind)+".title"); !ok {
		kind = problem.Internal
	}
	s.render(w, r, body.Status, "error", "error."+string(kind)+".title", "", errorView{Status: body.Status, Kind: string(kind), Detail: detail})
}

// Flash notices say, after a redirect, that a civil event was recorded.
// The cookie holds only an event slug, checked against eventForms when read.
const flashCookie = "populus_flash"

func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, slug string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: slug, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if eventBySlug(c.Value) == nil {
		return ""
	}
	return "flash." + c.Value
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
