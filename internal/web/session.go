package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
)

// loginView is the data of login.html.
type loginView struct {
	Form  *Form
	Next  string
	Demo  []staff.NewAccount
	Error string // why sign-in failed
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, status int, f *Form, errKey string, args ...any) {
	v := loginView{Form: f, Next: staff.SafeNext(f.Get("next"))}
	if errKey != "" {
		v.Error = s.cat.T(s.cat.Negotiate(r), errKey, args...)
	}
	if s.demo {
		v.Demo = staff.DemoAccounts()
	}
	s.render(w, r, status, "login", "login.title", "", v)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if _, ok := auth.FromContext(r.Context()); ok {
		http.Redirect(w, r, staff.SafeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	s.loginPage(w, r, http.StatusOK, newForm(url.Values{"next": {r.URL.Query().Get("next")}}, "", s.cat), "")
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r, 16<<10); err != nil {
		return err
	}
	f := newForm(r.PostForm, s.cat.Negotiate(r), s.cat)
	// The password is never sent back into the form.
	password := f.Values.Get("password")
	f.Values.Del("password")
	// Nothing typed is asked for, not answered as a wrong password.
	if f.Get("username") == "" {
		f.Fail("username", "error.required")
	}
	if password == "" {
		f.Fail("password", "error.required")
	}
	if f.Failed() {
		s.loginPage(w, r, http.StatusUnprocessableEntity, f, "")
		return nil
	}
	_, err := s.staff.SignIn(w, r, f.Get("username"), password)
	var rl *staff.RateLimitError
	switch {
	case err == nil:
		http.Redirect(w, r, staff.SafeNext(f.Get("next")), http.StatusSeeOther)
	case errors.As(err, &rl):
		s.loginPage(w, r, http.StatusTooManyRequests, f, "login.throttled", (httpx.SetRetryAfter(w, rl)+59)/60)
	case errors.Is(err, staff.ErrDisabled):
		s.loginPage(w, r, http.StatusUnauthorized, f, "login.disabled")
	case problem.Is(err, problem.Unauthorized):
		s.loginPage(w, r, http.StatusUnauthorized, f, "login.failed")
	default:
		return err
	}
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.staff.SignOut(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLanguage is the language switch of the header: a plain link, so that
// it works on the sign-in page too; it changes only a display preference.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) error {
	lang := r.PathValue("lang")
	if !s.cat.Supported(lang) {
		return problem.New(problem.NotFound, "no language %q", lang)
	}
	i18n.SetLanguage(w, lang, s.secure || r.TLS != nil)
	http.Redirect(w, r, staff.SafeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}
