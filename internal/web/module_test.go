package web

import (
	"testing"
	"testing/fstest"

	"github.com/populus-vn/populus/internal/auth"
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
