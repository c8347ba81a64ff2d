package web

import (
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
)

// Module is what a capability contributes to the UI: its pages, their
// messages, its entries in the menu and its page routes. The capability
// provides it from a sub-package of its own (auditui, jobsui), so that its
// core never imports web; package web is the shell around the modules:
// layout, partials, sign-in, language switch, dashboard and error page.
type Module struct {
	// Name names the module's pages: Kit.Render's page "x" is the
	// template x.html of Templates. Names are unique.
	Name string
	// Templates holds the module's pages, one <page>.html each at its
	// root, defining "content"; each is parsed with the shell's layout
	// and partials (and their functions: T, field, can, …). A file whose
	// name begins with an underscore (_partials.html) is no page: it is
	// parsed with each of the module's pages, for the templates they
	// share, and holds the templates of its cards.
	Templates fs.FS
	// Funcs returns the module's own template functions in one language,
	// for its pages and cards, beside the shell's; a name the shell has
	// is refused. Nil when it has none.
	Funcs func(Locale) template.FuncMap
	// Messages is the module's fragment of the catalog (vi.json and
	// en.json at its root), merged at start; a message ID that another
	// fragment already holds is refused. Nil when it has none.
	Messages fs.FS
	// Menu are the module's entries in the main navigation, in order.
	Menu []MenuEntry
	// Cards returns the module's cards on the dashboard, in order.
	Cards func(*Kit) []Card
	// Routes returns the module's page routes, each with its access.
	Routes func(*Kit) []httpx.Route
}

// Locale is one language of the pages, as a module's template functions
// see it.
type Locale struct {
	Lang string // "vi", "en"
	// T is the template function T of the language: the message, or its
	// ID (and an error logged) when the catalog lacks it.
	T func(key string, args ...any) string
	// Unit is the template function unit: a unit's name with its
	// province, "Toàn quốc" for VN, or the code the dataset does not know.
	Unit func(code string) string
}

// Card is one card of the dashboard.
type Card struct {
	// Template names the template that writes the card, defined in one
	// of the module's partials (_*.html). Its data is the dashboard's,
	// with .Data the card's own.
	Template string
	// Actions show the card as they show a MenuEntry: to a principal who
	// may do one of them from their scope, to every officer with none.
	Actions []auth.Action
	// Data returns the card's data for the request; nil gives none.
	Data func(r *http.Request) any
}

// MenuEntry is one entry of the main navigation.
type MenuEntry struct {
	Path  string // where it leads: "/audit"
	Label string // message ID of its text
	// Nav marks the entry current: it is the nav a page is rendered with
	// (Kit.Render).
	Nav string
	// Actions show the entry to a principal who may do one of them from
	// their scope (auth.CanFrom); with none it is shown to every officer.
	Actions []auth.Action
}

// shows reports whether the entry is shown to p.
func (e MenuEntry) shows(p auth.Principal) bool { return canOne(p, e.Actions) }

// canOne reports whether p may do one of as from their scope, or as is
// empty.
func canOne(p auth.Principal, as []auth.Action) bool {
	if len(as) == 0 {
		return true
	}
	for _, a := range as {
		if auth.CanFrom(p, a) {
			return true
		}
	}
	return false
}

// Kit is what a module's pages use of the shell.
type Kit struct {
	s      *Server
	module string
}

// Page adapts a page handler that may fail: its error is written as the
// error page (RenderError).
func (k *Kit) Page(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return k.s.handle(h)
}

// StaffPage is the route of a page for signed-in officers: pattern, h
// adapted by Page, and AccessStaff.
func (k *Kit) StaffPage(pattern string, h func(w http.ResponseWriter, r *http.Request) error) httpx.Route {
	return httpx.Route{Pattern: pattern, Handler: k.Page(h), Access: httpx.AccessStaff}
}

// Render writes the module's page (its template page.html) inside the
// layout, with status; title is the message ID of the page's title, nav
// the menu entry it marks current, data what the template has as .Data.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, status int, page, title, nav string, data any) {
	k.s.render(w, r, status, k.module+"/"+page, title, nav, data)
}

// RenderError writes err as the error page.
func (k *Kit) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	k.s.renderError(w, r, err)
}

// Lang returns the language of r's pages.
func (k *Kit) Lang(r *http.Request) string { return k.s.cat.Negotiate(r) }

// UnitName returns the template function unit in r's language: a unit's
// name with its province, "Toàn quốc" for VN.
func (k *Kit) UnitName(r *http.Request) func(code string) string {
	return k.s.unitFunc(k.Lang(r))
}

// Catalog returns the merged catalog.
func (k *Kit) Catalog() *i18n.Catalog { return k.s.cat }

// SetLanguage makes lang the language of the pages r's browser is shown
// from the next request on (the lang cookie, as the header's switch sets).
func (k *Kit) SetLanguage(w http.ResponseWriter, r *http.Request, lang string) {
	i18n.SetLanguage(w, lang, k.s.secure || r.TLS != nil)
}

// NewForm returns a form over values (nil for an empty one) in r's
// language, to carry what was typed and the errors back to the page.
func (k *Kit) NewForm(r *http.Request, values url.Values) *Form {
	return newForm(values, k.s.cat.Negotiate(r), k.s.cat)
}

// ParseForm reads the posted form of r, of at most limit bytes: a larger
// one is TooLarge, one that cannot be read Invalid.
func (k *Kit) ParseForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	return parseForm(w, r, limit)
}

// Flash shows a notice on the next page rendered for a GET, typically
// the one a redirect leads to. id is the notice's message ID, which
// begins with "flash."; the shell shows nothing else from its cookie.
func (k *Kit) Flash(w http.ResponseWriter, r *http.Request, id string) {
	if !strings.HasPrefix(id, flashPrefix) {
		panic("web: flash notice " + id + " does not begin with " + flashPrefix)
	}
	k.s.setFlash(w, r, id)
}
