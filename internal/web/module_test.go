package web

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
)

func TestModulesAreMerged(t *testing.T) {
	page := fstest.MapFS{"x.html": {Data: []byte(`{{define "content"}}{{T "x.title"}}{{end}}`)}}
	msgs := fstest.MapFS{"vi.json": {Data: []byte(`{"x.title": "X"}`)}, "en.json": {Data: []byte(`{"x.title": "X"}`)}}
	x := Module{Name: "x", Templates: page, Messages: msgs,
		Menu: []MenuEntry{{Path: "/x", Label: "x.title", Nav: "x", Actions: []auth.Action{auth.ReadAudit}}}}
	s, err := New(Deps{Catalog: i18n.MustLoad(), Modules: []Module{x}})
	if err != nil {
		t.Fatal(err)
	}
	if s.pages[i18n.English]["x/x"] == nil || s.cat.T(i18n.English, "x.title") != "X" {
		t.Error("the module's page or messages are missing")
	}
	if got := s.menu[len(s.menu)-1]; got.Path != "/x" {
		t.Errorf("last menu entry %q", got.Path)
	}
	// audit.read is held from the nation only.
	if e := s.menu[len(s.menu)-1]; e.shows(auth.Principal{Kind: auth.KindStaff, Role: auth.Auditor, Unit: "01"}) ||
		!e.shows(auth.Principal{Kind: auth.KindStaff, Role: auth.Auditor, Unit: "VN"}) {
		t.Error("a nation-only entry shows from a province, or not from the nation")
	}
	y := x
	y.Name = "y"
	for name, mods := range map[string][]Module{"same name": {x, x}, "same messages": {x, y}} {
		if _, err := New(Deps{Catalog: i18n.MustLoad(), Modules: mods}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A module's partials (_*.html) and functions reach its pages and cards;
// its cards show on the dashboard to whoever may use them, as its menu
// entries do; a function named as one of the shell's, or a card without
// its template, is refused.
func TestModuleCardsPartialsAndFuncs(t *testing.T) {
	tpl := fstest.MapFS{
		"x.html":  {Data: []byte(`{{define "content"}}{{template "shared" .Data}}{{end}}`)},
		"_p.html": {Data: []byte(`{{define "shared"}}<b>{{shout .}}</b>{{end}}{{define "card-x"}}<section class="card">{{shout .Data}}</section>{{end}}`)},
	}
	x := Module{Name: "x", Templates: tpl,
		Funcs: func(l Locale) template.FuncMap {
			return template.FuncMap{"shout": func(s string) string { return strings.ToUpper(s) + " " + l.Lang + " " + l.Unit("VN") }}
		},
		Cards: func(k *Kit) []Card {
			return []Card{{Template: "card-x", Actions: []auth.Action{auth.ReadAudit}, Data: func(r *http.Request) any { return "card" }}}
		},
		Routes: func(k *Kit) []httpx.Route {
			return []httpx.Route{{Pattern: "GET /x", Handler: k.Page(func(w http.ResponseWriter, r *http.Request) error {
				k.Render(w, r, http.StatusOK, "x", "nav.home", "x", "page")
				return nil
			})}}
		},
	}
	s, err := New(Deps{Catalog: i18n.MustLoad(), Modules: []Module{x}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, p auth.Principal) string {
		mux := http.NewServeMux()
		for _, rt := range s.Routes() {
			mux.Handle(rt.Pattern, rt.Handler)
		}
		r := httptest.NewRequest("GET", path, nil)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d\n%s", path, w.Code, w.Body)
		}
		return w.Body.String()
	}
	nation := auth.Principal{Kind: auth.KindStaff, Role: auth.Auditor, Unit: "VN", DisplayName: "A"}
	province := nation
	province.Unit = "01"
	if b := get("/x", nation); !strings.Contains(b, "<b>PAGE vi Toàn quốc</b>") {
		t.Errorf("the page lacks its partial or function:\n%s", b)
	}
	if b := get("/", nation); !strings.Contains(b, `<section class="card">CARD vi Toàn quốc</section>`) || strings.Contains(b, "dashboard.nothing") {
		t.Errorf("the dashboard lacks the card:\n%s", b)
	}
	if b := get("/", province); strings.Contains(b, "CARD") || !strings.Contains(b, `class="alert alert-info"`) {
		t.Errorf("a nation-only card shows from a province, or the notice that there is none does not:\n%s", b)
	}

	clash := x
	clash.Funcs = func(Locale) template.FuncMap { return template.FuncMap{"unit": strings.ToUpper} }
	lost := x
	lost.Cards = func(*Kit) []Card { return []Card{{Template: "card-y"}} }
	for name, m := range map[string]Module{"a shell function": clash, "a card without template": lost} {
		if _, err := New(Deps{Catalog: i18n.MustLoad(), Modules: []Module{m}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A flash notice is shown once, on the next page, and only if the cookie
// names a flash notice of the catalog.
func TestFlash(t *testing.T) {
	page := fstest.MapFS{"x.html": {Data: []byte(`{{define "content"}}{{end}}`)}}
	msgs := fstest.MapFS{"vi.json": {Data: []byte(`{"flash.x": "Đã xong"}`)}, "en.json": {Data: []byte(`{"flash.x": "Done"}`)}}
	s, err := New(Deps{Catalog: i18n.MustLoad(), Modules: []Module{{Name: "x", Templates: page, Messages: msgs}}})
	if err != nil {
		t.Fatal(err)
	}
	k := s.kit(s.mods[0])
	w := httptest.NewRecorder()
	k.Flash(w, httptest.NewRequest("POST", "/x", nil), "flash.x")
	set := w.Result().Cookies()
	if len(set) != 1 || set[0].Value != "flash.x" {
		t.Fatalf("cookies %v", set)
	}
	for value, want := range map[string]string{"flash.x": "flash.x", "nav.home": "", "flash.nothing": ""} {
		r := httptest.NewRequest("GET", "/x", nil)
		r.AddCookie(&http.Cookie{Name: flashCookie, Value: value})
		if got := s.takeFlash(httptest.NewRecorder(), r); got != want {
			t.Errorf("cookie %q: notice %q, want %q", value, got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a notice that is no flash. message is accepted")
		}
	}()
	k.Flash(httptest.NewRecorder(), httptest.NewRequest("POST", "/x", nil), "nav.home")
}
