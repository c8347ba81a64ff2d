package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*oidc.Provider)(nil).OpenAPI(), map[string]any{"OIDCConsent": oidc.Consent{},
		"VerifyRequest": oidc.VerifyRequest{}, "VerifyResponse": oidc.VerifyResponse{}})
}

// The holder sees the consent given to the bank and withdraws it through
// the API (with the session's CSRF token): the bank's tokens stop working
// and its next sign-in asks for consent again.
func TestWithdrawConsent(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		b := e.browser()
		res, err := b.Post(e.srv.URL+"/api/v1/identity/session", "application/json",
			strings.NewReader(`{"pin":"`+e.Lan.PIN+`","password":"`+identitytest.Password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var sess identity.SessionResponse
		json.NewDecoder(res.Body).Decode(&sess)
		res.Body.Close()
		v := oauth2.GenerateVerifier()
		loc, page := e.signIn(b, e.authURL(v, []string{"openid", "profile"}), e.Lan, []string{"profile"})
		if loc == nil {
			t.Fatalf("no code: %.300s", page)
		}
		tok, err := e.config("openid", "profile").Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		res, err = b.Get(e.srv.URL + "/api/v1/identity/me/consents")
		if err != nil {
			t.Fatal(err)
		}
		var cs []oidc.Consent
		json.NewDecoder(res.Body).Decode(&cs)
		res.Body.Close()
		if len(cs) != 1 || cs[0].ClientName != "Ngân hàng Demo" || strings.Join(cs[0].Scopes, " ") != "openid profile" {
			t.Fatalf("consents = %+v", cs)
		}
		del := func(csrf string) int {
			req, _ := http.NewRequest("DELETE", e.srv.URL+"/api/v1/identity/me/consents/"+strconv.FormatInt(cs[0].ID, 10), nil)
			if csrf != "" {
				req.Header.Set("X-CSRF-Token", csrf)
			}
			res, err := b.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode
		}
		if code := del(""); code != http.StatusForbidden {
			t.Errorf("without CSRF: %d", code)
		}
		if code := del(sess.CSRFToken); code != http.StatusNoContent {
			t.Fatalf("withdraw: %d", code)
		}
		if code := del(sess.CSRFToken); code != http.StatusNotFound {
			t.Errorf("withdrawn twice: %d", code)
		}
		res, err = e.config("openid").Client(ctx, tok).Get(e.issuer + "/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("the bank's token works after the consent was withdrawn")
		}
		// Signed in still, the next sign-in shows the consent screen: declined here.
		loc, _ = e.signIn(b, e.authURL(oauth2.GenerateVerifier(), []string{"openid", "profile"}), e.Lan, nil)
		if loc == nil || loc.Query().Get("error") != "access_denied" {
			t.Errorf("after withdrawal: %v", loc)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND detail LIKE '%withdrawn'", oidc.ActionConsent); n != 1 {
			t.Errorf("withdrawal audited %d times", n)
		}
	})
}

// Whoever held an account's credentials leaves nothing behind at the
// relying parties when the holder locks it ("this was not me") or an
// officer gives it back at the counter (identity.Service.Recover): the
// access and refresh tokens stop at once, and stay refused once the
// account is unlocked or its new password set; the consents given under
// it end. A change of the password by the holder ends the tokens too (a
// thief who signed in at a bank with a leaked password is out there as
// well), the consents standing.
func TestHandOverEndsRelyingPartiesTokens(t *testing.T) {
	for _, how := range []string{"lock", "recovery", "password"} {
		t.Run(how, func(t *testing.T) {
			dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
				e := newOP(t, d)
				a := e.Active(e.Lan)
				ctx := context.Background()
				v := oauth2.GenerateVerifier()
				loc, page := e.signIn(e.browser(), e.authURL(v, []string{"openid", "profile", "offline_access"}), e.Lan, []string{"profile", "offline_access"})
				if loc == nil {
					t.Fatalf("no code: %.300s", page)
				}
				cfg := e.config("openid", "profile", "offline_access")
				tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
				if err != nil || tok.RefreshToken == "" {
					t.Fatalf("tokens: %+v %v", tok, err)
				}
				userinfo := func() int {
					res, err := cfg.Client(ctx, &oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer"}).Get(e.issuer + "/userinfo")
					if err != nil {
						t.Fatal(err)
					}
					res.Body.Close()
					return res.StatusCode
				}
				if code := userinfo(); code != http.StatusOK {
					t.Fatalf("userinfo before: %d", code)
				}
				// A sign-in approved before the hand-over, its code not yet
				// issued.
				held := httptest.NewRecorder()
				v2 := oauth2.GenerateVerifier()
				e.handler.ServeHTTP(held, httptest.NewRequest("GET", strings.TrimPrefix(e.authURL(v2, []string{"openid", "profile"}), e.srv.URL), nil))
				heldLoc, _ := url.Parse(held.Header().Get("Location"))
				sess, _, err := e.Svc.Login(ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "192.0.2.1"})
				if err != nil {
					t.Fatal(err)
				}
				heldTo, err := e.prov.Authorize(ctx, heldLoc.Query().Get("id"), sess, []string{"profile"}, false, "")
				if err != nil {
					t.Fatal(err)
				}
				switch how {
				case "lock":
					if _, err := e.Svc.Lock(ctx, a.Principal(e.Lan.FullName), identity.LockRequest{Reason: "mật khẩu bị lộ"}); err != nil {
						t.Fatal(err)
					}
					if err := e.Svc.RequestUnlock(ctx, e.Lan.PIN, "192.0.2.1"); err != nil {
						t.Fatal(err)
					}
					if _, err := e.Svc.Unlock(ctx, identity.UnlockRequest{PIN: e.Lan.PIN, Code: e.LastCode()}, "192.0.2.1"); err != nil {
						t.Fatal(err)
					}
				case "password":
					if _, err := e.Svc.ChangePassword(ctx, a.Principal(e.Lan.FullName), identity.PasswordChange{Password: identitytest.Password, NewPassword: "mật khẩu mới của Lan"}); err != nil {
						t.Fatal(err)
					}
				case "recovery":
					police := auth.Staff(7, "police", "Công an", auth.PoliceOfficer, identitytest.BaDinh)
					if _, err := e.Svc.Recover(ctx, police, identity.RecoveryRequest{PIN: e.Lan.PIN, CardNumber: e.Lan.Card.Number, CardIssued: e.Lan.Card.Issued, Phone: "0912 000 111"}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.Svc.CompleteRecovery(ctx, identity.RecoveryCompletion{PIN: e.Lan.PIN, Code: e.LastCode(), Password: "mật khẩu mới của Lan"}, "192.0.2.1"); err != nil {
						t.Fatal(err)
					}
				}
				// The account is active again: the old tokens are not, nor
				// does the sign-in approved before give a code.
				if code := userinfo(); code == http.StatusOK {
					t.Error("the access token works after the hand-over")
				}
				w := e.callback(heldTo, held)
				if l, _ := url.Parse(w.Header().Get("Location")); l != nil && l.Query().Get("code") != "" {
					if res := exchangeAs(e, "bank", e.secret, l.Query().Get("code"), v2); res.Code == http.StatusOK {
						t.Error("a sign-in approved before the hand-over gave tokens after it")
					}
				}
				if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}).Token(); err == nil {
					t.Error("the refresh token works after the hand-over")
				}
				if n := e.Count("SELECT count(*) FROM oidc_tokens WHERE account_id = $1 AND revoked = 0", a.ID); n != 0 {
					t.Errorf("%d tokens of the account left", n)
				}
				if n := e.Count("SELECT count(*) FROM oidc_consents WHERE account_id = $1 AND revoked_at = ''", a.ID); (n == 0) != (how != "password") {
					t.Errorf("%d consents of the account left after the %s", n, how)
				}
			})
		})
	}
}

// The holder of a recovered account sets the new password on /eid/recover
// with the code sent to the new phone: a wrong code or two passwords that
// differ come back on the form, which never sends a password back; then
// the portal's sign-in takes the new password. A password refused at the
// sign-in is not sent back either.
func TestRecoverPage(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		police := auth.Staff(7, "police", "Công an", auth.PoliceOfficer, identitytest.BaDinh)
		if _, err := e.Svc.Recover(e.Ctx, police, identity.RecoveryRequest{PIN: e.Lan.PIN, CardNumber: e.Lan.Card.Number, CardIssued: e.Lan.Card.Issued, Phone: "0912 000 111"}); err != nil {
			t.Fatal(err)
		}
		code := e.LastCode()
		b := e.browser()
		b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		page := func(res *http.Response, err error) (int, string) { return readPage(t, res, err) }
		status, body := page(b.Get(e.srv.URL + "/eid/signin"))
		if status != http.StatusOK || !strings.Contains(body, `href="/eid/recover"`) {
			t.Fatalf("the sign-in page does not lead to the recovery: %d", status)
		}
		status, body = page(b.Get(e.srv.URL + "/eid/recover?pin=" + e.Lan.PIN))
		if status != http.StatusOK || !strings.Contains(body, "Đặt mật khẩu mới cho tài khoản đã khôi phục") {
			t.Fatalf("recover page: %d", status)
		}
		csrf := between(body, `name="csrf" value="`, `"`)
		post := func(code, pw, again string) (int, string) {
			return page(b.PostForm(e.srv.URL+"/eid/recover", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {code},
				"new_password": {pw}, "repeat_password": {again}}))
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if status, body := post(wrong, "mật khẩu mới của Lan", "mật khẩu mới của Lan"); status != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `id="f-code-error"`) || strings.Contains(body, "mật khẩu mới của Lan") {
			t.Errorf("a wrong code: %d", status)
		}
		if status, body := post(code, "mật khẩu mới của Lan", "mật khẩu khác hẳn"); status != http.StatusUnprocessableEntity ||
			!strings.Contains(body, "không giống mật khẩu mới") || strings.Contains(body, "mật khẩu khác hẳn") {
			t.Errorf("passwords that differ: %d", status)
		}
		if status, body := post(code, "ngắn", "ngắn"); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-new_password-error"`) {
			t.Errorf("a short password: %d", status)
		}
		res, err := b.PostForm(e.srv.URL+"/eid/recover", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {code},
			"new_password": {"mật khẩu mới của Lan"}, "repeat_password": {"mật khẩu mới của Lan"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/eid/signin" {
			t.Fatalf("recovered: %d %s", res.StatusCode, loc)
		}
		status, body = page(b.PostForm(e.srv.URL+"/eid/signin", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "password": {"mật khẩu sai rồi nhé"}}))
		if status != http.StatusUnauthorized || strings.Contains(body, "mật khẩu sai rồi nhé") {
			t.Errorf("a wrong password at the sign-in: %d, sent back %v", status, strings.Contains(body, "mật khẩu sai rồi nhé"))
		}
		res, err = b.PostForm(e.srv.URL+"/eid/signin", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "password": {"mật khẩu mới của Lan"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/eid/me" {
			t.Errorf("sign-in with the new password: %d", res.StatusCode)
		}
	})
}

// readPage is a page's status and body, the request's error fatal.
func readPage(t *testing.T, res *http.Response, err error) (int, string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}
