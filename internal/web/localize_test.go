package web_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/web"
)

// A problem is said in the language the caller asks for, in a copy: the
// error (perhaps a value kept for every request) keeps its English words
// for the next caller.
func TestLocalizeProblemLeavesTheErrorAlone(t *testing.T) {
	w, err := web.New(web.Deps{Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: []web.Module{registerui.Module(nil)}})
	if err != nil {
		t.Fatal(err)
	}
	var f problem.Fields
	f.Add("hometown", "%q is not the code of a unit in force", "98")
	kept := f.Err()
	ask := func(lang string) problem.Body {
		r := httptest.NewRequest("GET", "/api/v1/x", nil)
		r.Header.Set("Accept-Language", lang)
		b := problem.BodyOf(kept, "/api/v1/x")
		w.LocalizeProblem(r, &b, kept)
		return b
	}
	if vi := ask("vi"); !strings.Contains(vi.Errors[0].Reason, "không phải mã của một đơn vị hành chính") {
		t.Errorf("in Vietnamese: %+v", vi.Errors)
	}
	if en := ask("en"); en.Errors[0].Reason != `"98" is not the code of a unit in force` {
		t.Errorf("in English after Vietnamese: %+v", en.Errors)
	}
}
