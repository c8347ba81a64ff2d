package staff

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
)

type fakeAuditor struct {
	mu      sync.Mutex
	records []audit.Entry
	fail    bool
}

func (f *fakeAuditor) Record(_ context.Context, entries ...audit.Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("audit store down")
	}
	f.records = append(f.records, entries...)
	return nil
}

func (f *fakeAuditor) count(action auth.Action, outcome string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.records {
		if r.Action == string(action) && r.Outcome == outcome {
			n++
		}
	}
	return n
}

type harness struct {
	t     *testing.T
	svc   *Service
	audit *fakeAuditor
	h     http.Handler
	now   time.Time
}

func newHarness(t *testing.T, d *db.DB) *harness {
	h := &harness{t: t, audit: &fakeAuditor{}, now: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)}
	st := NewStore(d, TestParams)
	st.now = func() time.Time { return h.now }
	if _, err := st.Create(context.Background(), newAccount("registrar", auth.Registrar, "00004")); err != nil {
		t.Fatal(err)
	}
	h.svc = NewService(st, h.audit, Options{})
	mux := http.NewServeMux()
	mux.Handle("POST /login", httpx.Handle(func(w http.ResponseWriter, r *http.Request) error {
		_, err := h.svc.SignIn(w, r, r.PostFormValue("username"), r.PostFormValue("password"))
		return err
	}))
	mux.Handle("POST /logout", httpx.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return h.svc.SignOut(w, r)
	}))
	whoami := RequireSignIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Fprint(w, p.Username)
	}))
	mux.Handle("GET /me", whoami)
	mux.Handle("POST /write", whoami)
	mux.Handle("GET /api/me", whoami)
	// /upload reads a multipart form as a stream, as the reconciliation
	// upload does, and answers the size of its file.
	mux.Handle("POST /upload", RequireSignIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var n int64
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if part.FormName() == "file" {
				n, _ = io.Copy(io.Discard, part)
			}
		}
		fmt.Fprint(w, n)
	})))
	h.h = h.svc.Protect(mux, httpx.WriteProblem)
	return h
}

// do sends a request from 192.0.2.1 with the session cookie token, if any.
func (h *harness) do(method, path string, form url.Values, token string, header ...string) *httptest.ResponseRecorder {
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.1:4321"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		r.AddCookie(&http.Cookie{Name: CookieName, Value: token})
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	return w
}

// login signs in and returns the session token and CSRF token.
func (h *harness) login(password string) (string, string, *httptest.ResponseRecorder) {
	w := h.do("POST", "/login", url.Values{"username": {"registrar"}, "password": {password}}, "")
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName && c.Value != "" {
			sess, err := h.svc.store.sessionByToken(context.Background(), c.Value)
			if err != nil {
				h.t.Fatal(err)
			}
			return c.Value, sess.CSRF, w
		}
	}
	return "", "", w
}

func TestLoginSessionAndLogout(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		token, _, w := h.login(testPassword)
		if token == "" {
			t.Fatalf("login: %d %s", w.Code, w.Body)
		}
		c := w.Result().Cookies()[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain HTTP", c)
		}
		if got := h.do("GET", "/me", nil, token).Body.String(); got != "registrar" {
			t.Errorf("/me with session = %q", got)
		}

		// Only the SHA-256 of the token is stored.
		var stored string
		if err := d.QueryRow("SELECT token_hash FROM sessions").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(token))
		if stored == token || stored != hex.EncodeToString(sum[:]) {
			t.Errorf("token_hash = %q; want the hex SHA-256 of the token", stored)
		}
		var n int
		d.QueryRow("SELECT COUNT(*) FROM sessions WHERE token_hash = $1 OR csrf_token = $1", token).Scan(&n)
		if n != 0 {
			t.Error("the token is stored in clear")
		}
		if h.audit.count(ActionSignIn, audit.OK) != 1 {
			t.Errorf("audit = %+v", h.audit.records)
		}

		token2, csrf2, _ := h.login(testPassword)
		if w := h.do("POST", "/logout", url.Values{"csrf": {csrf2}}, token2); w.Code >= 400 {
			t.Fatalf("logout: %d %s", w.Code, w.Body)
		}
		if got := h.do("GET", "/me", nil, token2); got.Code != http.StatusSeeOther {
			t.Errorf("/me after sign-out = %d, want a redirect to sign in", got.Code)
		}
		d.QueryRow("SELECT COUNT(*) FROM sessions WHERE token_hash = $1", hashToken(token2)).Scan(&n)
		if n != 0 {
			t.Error("sign-out left the session in the database")
		}
		if h.audit.count(ActionSignOut, audit.OK) != 1 {
			t.Errorf("sign-out not audited: %+v", h.audit.records)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		token, _, _ := h.login(testPassword)
		start := h.now
		// Used every 20 minutes, the session outlives the 30-minute idle
		// timeout, but not the 8-hour absolute limit.
		for h.now = start; h.now.Before(start.Add(8*time.Hour - time.Minute)); h.now = h.now.Add(20 * time.Minute) {
			if w := h.do("GET", "/me", nil, token); w.Code != http.StatusOK {
				t.Fatalf("at %v: %d, want 200", h.now.Sub(start), w.Code)
			}
		}
		h.now = start.Add(8 * time.Hour)
		if w := h.do("GET", "/me", nil, token); w.Code != http.StatusSeeOther {
			t.Errorf("after 8h: %d, want redirect", w.Code)
		}

		h.now = start.Add(24 * time.Hour)
		token, _, _ = h.login(testPassword)
		h.now = h.now.Add(31 * time.Minute)
		if w := h.do("GET", "/me", nil, token); w.Code != http.StatusSeeOther {
			t.Errorf("after 31 idle minutes: %d, want redirect", w.Code)
		}
		if w := h.do("GET", "/api/me", nil, token); w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("Content-Type"), "problem+json") {
			t.Errorf("API without session: %d %s", w.Code, w.Header().Get("Content-Type"))
		}
	})
}

func TestCSRF(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		token, csrf, _ := h.login(testPassword)
		for name, tc := range map[string]struct {
			form   url.Values
			header []string
			want   int
		}{
			"missing":      {url.Values{"x": {"1"}}, nil, http.StatusForbidden},
			"wrong field":  {url.Values{"csrf": {csrf + "x"}}, nil, http.StatusForbidden},
			"wrong header": {nil, []string{CSRFHeader, "nope"}, http.StatusForbidden},
			"right field":  {url.Values{"csrf": {csrf}}, nil, http.StatusOK},
			"right header": {nil, []string{CSRFHeader, csrf}, http.StatusOK},
			"cross-site":   {url.Values{"csrf": {csrf}}, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
			// A form too large to read is refused for its size, not as
			// one without its token.
			"form too large": {url.Values{"csrf": {csrf}, "spec": {strings.Repeat("x", maxFormBody)}}, nil, http.StatusRequestEntityTooLarge},
		} {
			if w := h.do("POST", "/write", tc.form, token, tc.header...); w.Code != tc.want {
				t.Errorf("%s: %d %s, want %d", name, w.Code, w.Body, tc.want)
			}
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		for i := 1; i <= 5; i++ {
			if _, _, w := h.login("wrong password!"); w.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d, want 401", i, w.Code)
			}
		}
		_, _, w := h.login(testPassword)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "30" ||
			!strings.Contains(w.Header().Get("Content-Type"), "problem+json") {
			t.Fatalf("6th attempt: %d, Retry-After %q; want a 429 problem with Retry-After 30", w.Code, w.Header().Get("Retry-After"))
		}
		if n := h.audit.count(ActionSignIn, audit.Failed); n != 5 {
			t.Errorf("%d failures audited, want 5", n)
		}
		if n := h.audit.count(ActionSignIn, audit.Denied); n != 1 {
			t.Errorf("%d throttled attempts audited, want 1", n)
		}
		// A progressive delay, not a lock: each attempt after the free
		// ones waits twice as long as the one before, up to 15 minutes.
		for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
			h.now = h.now.Add(wait - time.Second)
			if _, _, w := h.login("wrong password!"); w.Code != http.StatusTooManyRequests {
				t.Fatalf("delay %d: a second early: %d, want 429", i, w.Code)
			}
			h.now = h.now.Add(time.Second)
			if _, _, w := h.login("wrong password!"); w.Code != http.StatusUnauthorized {
				t.Fatalf("delay %d: on time: %d, want 401", i, w.Code)
			}
		}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = "192.0.2.1:1"
		_, err := h.svc.SignIn(rec, r, "registrar", testPassword)
		var rl *RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfterSeconds() != 4*60 {
			t.Errorf("err = %v; want a RateLimitError of 4 minutes", err)
		}
		h.now = h.now.Add(4 * time.Minute)
		if token, _, w := h.login(testPassword); token == "" {
			t.Errorf("after the delay: %d %s", w.Code, w.Body)
		}
		// The sign-in cleared the account's count from this address.
		if _, _, w := h.login("wrong password!"); w.Code != http.StatusUnauthorized {
			t.Errorf("a mistake after signing in: %d, want 401", w.Code)
		}
	})
}

func TestDisabledAccount(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		token, _, _ := h.login(testPassword)
		// An account disabled behind this instance's back (another
		// instance, or SQL) is refused once the session cache has let go of
		// its session, even if its session row were to survive.
		if _, err := d.Exec("UPDATE staff SET disabled = 1"); err != nil {
			t.Fatal(err)
		}
		h.now = h.now.Add(sessionCacheTTL + time.Second)
		if w := h.do("GET", "/me", nil, token); w.Code != http.StatusSeeOther {
			t.Errorf("disabled account's session: %d, want redirect", w.Code)
		}
		if tok, _, w := h.login(testPassword); tok != "" || w.Code != http.StatusUnauthorized {
			t.Errorf("disabled account signs in: %d", w.Code)
		}
	})
}

func TestUnauditableSignInFails(t *testing.T) {
	h := newHarness(t, dbtest.SQLite(t, testSchemas...))
	h.audit.fail = true
	if token, _, w := h.login(testPassword); token != "" || w.Code != http.StatusInternalServerError {
		t.Errorf("sign-in without audit: token %q, %d", token, w.Code)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/register/persons/001090000001?asof=2020-01-01": "/register/persons/001090000001?asof=2020-01-01",
		"":                      "/",
		"https://evil.example/": "/",
		"//evil.example/":       "/",
		"/\\evil.example":       "/",
		"javascript:alert(1)":   "/",
		"relative/path":         "/",
	} {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequireSignInRedirectKeepsPage(t *testing.T) {
	h := newHarness(t, dbtest.SQLite(t, testSchemas...))
	w := h.do("GET", "/me?x=1", nil, "")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=%2Fme%3Fx%3D1" {
		t.Errorf("anonymous /me: %d → %q", w.Code, w.Header().Get("Location"))
	}
}

func TestDisableEndsSessionsAtOnce(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		token, _, _ := h.login(testPassword)
		if w := h.do("GET", "/me", nil, token); w.Code != http.StatusOK {
			t.Fatalf("signed in: %d", w.Code)
		}
		if err := h.svc.Store().Disable(context.Background(), "registrar"); err != nil {
			t.Fatal(err)
		}
		if w := h.do("GET", "/me", nil, token); w.Code != http.StatusSeeOther {
			t.Errorf("session of an account disabled through the store: %d, want redirect", w.Code)
		}
	})
}

// A form with a file of more than 1 MiB, posted without JavaScript (the
// token in the form, not in the header): the token is read from the field
// before the file, the file reaches the handler whole (issue 11, item 9).
func TestCSRFLargeMultipartForm(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		token, csrf, _ := h.login(testPassword)
		file := strings.Repeat("0123456789abcdef", 3<<16) // 3 MiB
		form := func(fields ...string) (string, string) {
			var b strings.Builder
			mw := multipart.NewWriter(&b)
			for i := 0; i+1 < len(fields); i += 2 {
				if fields[i] == "file" {
					fw, _ := mw.CreateFormFile("file", "drivers.csv")
					fw.Write([]byte(fields[i+1]))
				} else {
					mw.WriteField(fields[i], fields[i+1])
				}
			}
			mw.Close()
			return b.String(), mw.FormDataContentType()
		}
		for name, tc := range map[string]struct {
			fields []string
			want   int
		}{
			"token before a large file": {[]string{"csrf", csrf, "kind", "drivers", "file", file}, http.StatusOK},
			"token before a small file": {[]string{"kind", "drivers", "csrf", csrf, "file", "a,b\n"}, http.StatusOK},
			"token after the file":      {[]string{"file", file, "csrf", csrf}, http.StatusForbidden},
			"wrong token":               {[]string{"csrf", csrf + "x", "file", file}, http.StatusForbidden},
			"no token":                  {[]string{"kind", "drivers", "file", file}, http.StatusForbidden},
		} {
			body, ctype := form(tc.fields...)
			r := httptest.NewRequest("POST", "/upload", strings.NewReader(body))
			r.RemoteAddr = "192.0.2.1:4321"
			r.Header.Set("Content-Type", ctype)
			r.AddCookie(&http.Cookie{Name: CookieName, Value: token})
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Errorf("%s: %d %s, want %d", name, w.Code, w.Body, tc.want)
				continue
			}
			if tc.want == http.StatusOK {
				size := len(tc.fields[len(tc.fields)-1])
				if got := w.Body.String(); got != fmt.Sprint(size) {
					t.Errorf("%s: the handler read a file of %s bytes, want %d", name, got, size)
				}
			}
		}
	})
}

// An account whose password an administrator set is sent to the password
// page by every page, and refused by the API, until its holder chooses
// their own.
func TestMustChangePasswordFirst(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		if err := h.svc.store.ResetPassword(context.Background(), "registrar", "tạm thời đặt bởi quản trị", true); err != nil {
			t.Fatal(err)
		}
		token, _, w := h.login("tạm thời đặt bởi quản trị")
		if token == "" {
			t.Fatalf("sign-in refused: %d %s", w.Code, w.Body)
		}
		if w := h.do("GET", "/me", nil, token); w.Code != http.StatusSeeOther || w.Header().Get("Location") != PasswordPath {
			t.Errorf("a page: %d to %q, want 303 to %s", w.Code, w.Header().Get("Location"), PasswordPath)
		}
		if w := h.do("GET", "/api/me", nil, token); w.Code != http.StatusForbidden {
			t.Errorf("the API: %d, want 403", w.Code)
		}
		if err := h.svc.store.ResetPassword(context.Background(), "registrar", "mật khẩu của riêng tôi", false); err != nil {
			t.Fatal(err)
		}
		token, _, _ = h.login("mật khẩu của riêng tôi")
		if w := h.do("GET", "/me", nil, token); w.Code != http.StatusOK || w.Body.String() != "registrar" {
			t.Errorf("after the change: %d %s", w.Code, w.Body)
		}
	})
}

// failingTxAuditor records in a transaction, and fails to.
type failingTxAuditor struct{ fakeAuditor }

func (*failingTxAuditor) RecordTx(context.Context, *sql.Tx, audit.Entry) error {
	return errors.New("audit store down")
}

// An account change whose audit entry cannot be written is not made: the
// entry is written in the change's transaction.
func TestChangeWithoutItsAuditIsNotMade(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := NewStore(d, TestParams)
		if _, err := st.Create(ctx, newAccount("registrar", auth.Registrar, "00004")); err != nil {
			t.Fatal(err)
		}
		svc := NewService(st, &failingTxAuditor{}, Options{})
		if err := svc.SetDisabled(ctx, Console, "registrar", true); err == nil {
			t.Error("disabling without its audit entry succeeded")
		}
		if err := svc.Assign(ctx, Console, "registrar", auth.Auditor, "VN"); err == nil {
			t.Error("assigning without its audit entry succeeded")
		}
		if _, err := svc.CreateAccount(ctx, Console, newAccount("another", auth.Registrar, "00004")); err == nil {
			t.Error("creating without its audit entry succeeded")
		}
		a, err := st.ByUsername(ctx, "registrar")
		if err != nil || a.Disabled || a.Role != auth.Registrar || a.Unit != "00004" {
			t.Errorf("the account changed: %+v %v", a, err)
		}
		if _, err := st.ByUsername(ctx, "another"); err == nil {
			t.Error("the account was created")
		}
	})
}
