package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/pquerna/otp/totp"
	"github.com/zitadel/oidc/v3/pkg/client"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// The token endpoint's answers are never cached (RFC 6749 §5.1), nor
// userinfo's claims; a client that sent a wrong secret in the
// Authorization header gets 401 with a challenge (RFC 6749 §5.2); the
// tokens of an account that is not active (locked here without the lock's
// revocation, as a store written by an older release holds) are answered
// as tokens are that stopped: invalid_grant at a refresh (the refresh
// token not spent), 401 invalid_token at userinfo and at e-KYC, never a
// server error.
func TestTokenEndpointConformance(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		toks := e.tokensWith(t, "bank", e.secret, "profile", "offline_access")
		post := func(path string, form url.Values, user, pass string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(user, pass)
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, req)
			return w
		}
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {toks["refresh_token"].(string)}}
		if w := post("/oidc/oauth/token", refresh, "bank", "not-the-secret"); w.Code != http.StatusUnauthorized ||
			!strings.Contains(w.Header().Get("WWW-Authenticate"), "Basic") || !strings.Contains(w.Body.String(), "invalid_client") {
			t.Errorf("a wrong secret: %d %q %s", w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
		}
		// No client authentication at all is invalid_client too, at every
		// endpoint; a client_id in the body that is not the client
		// authenticated is refused; only POST.
		for _, path := range []string{"/oidc/oauth/token", "/oidc/oauth/introspect", "/oidc/revoke"} {
			req := httptest.NewRequest("POST", path, strings.NewReader("token=x&grant_type=authorization_code&code=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, req)
			if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"invalid_client"`) || w.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("%s without client authentication: %d %s", path, w.Code, w.Body)
			}
			w = httptest.NewRecorder()
			e.handler.ServeHTTP(w, httptest.NewRequest("GET", path+"?grant_type=authorization_code", nil))
			if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" {
				t.Errorf("GET %s: %d", path, w.Code)
			}
		}
		// A grant not offered: unsupported_grant_type, whichever it is.
		for _, gt := range []string{"client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:token-exchange", "password", ""} {
			if w := post("/oidc/oauth/token", url.Values{"grant_type": {gt}, "assertion": {"x"}}, "bank", e.secret); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"unsupported_grant_type"`) {
				t.Errorf("grant_type %q: %d %s", gt, w.Code, w.Body)
			}
		}
		other := url.Values{"client_id": {"another"}}
		for k, v := range refresh {
			other[k] = v
		}
		if w := post("/oidc/oauth/token", other, "bank", e.secret); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "client_id differs") {
			t.Errorf("another client_id in the body: %d %s", w.Code, w.Body)
		}
		// The access token in the URL is refused (RFC 6750 §2.3).
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, httptest.NewRequest("GET", "/oidc/userinfo?access_token="+url.QueryEscape(toks["access_token"].(string)), nil))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_request"`) {
			t.Errorf("a token in the userinfo URL: %d %s", w.Code, w.Body)
		}
		userinfo := func() *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", "/oidc/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+toks["access_token"].(string))
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, req)
			return w
		}
		if w := userinfo(); w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("userinfo: %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
		}
		if _, err := d.ExecContext(context.Background(), "UPDATE eid_accounts SET state = 'locked' WHERE pin = $1", e.Lan.PIN); err != nil {
			t.Fatal(err)
		}
		if w := post("/oidc/oauth/token", refresh, "bank", e.secret); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_grant") ||
			w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("a refresh of a locked account: %d %q %s", w.Code, w.Header().Get("Cache-Control"), w.Body)
		}
		if w := userinfo(); w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("userinfo of a locked account: %d %s", w.Code, w.Body)
		}
		if _, err := e.prov.EKYC(context.Background(), toks["access_token"].(string)); err == nil || !strings.Contains(err.Error(), "not active") {
			t.Errorf("e-KYC of a locked account: %v", err)
		}
		if _, err := d.ExecContext(context.Background(), "UPDATE eid_accounts SET state = 'active' WHERE pin = $1", e.Lan.PIN); err != nil {
			t.Fatal(err)
		}
		w = post("/oidc/oauth/token", refresh, "bank", e.secret)
		if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
			t.Errorf("a refresh: %d, Cache-Control %q, Pragma %q %s", w.Code, w.Header().Get("Cache-Control"), w.Header().Get("Pragma"), w.Body)
		}
	})
}

// A private_key_jwt client's assertion names the issuer identifier as its
// one audience (OpenID Connect Core §9 as amended in 2025): the token
// endpoint's URL, or the issuer beside another server, is refused with
// 401 invalid_client saying so, as is another key; the discovery document
// lists the algorithms an assertion may be signed with.
func TestClientAssertionAudience(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		ctx := context.Background()
		key, jwks := keyPair(t, "k1")
		if _, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "insurer", Name: "Bảo hiểm", AuthMethod: oidc.AuthPrivateKeyJWT, JWKS: jwks,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}}); err != nil {
			t.Fatal(err)
		}
		other, _ := keyPair(t, "k1")
		sign := func(pemKey []byte, aud ...string) string {
			signer, err := client.NewSignerFromPrivateKeyByte(pemKey, "k1")
			if err != nil {
				t.Fatal(err)
			}
			a, err := client.SignedJWTProfileAssertion("insurer", aud, time.Minute, signer)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		token := func(a string) *httptest.ResponseRecorder {
			form := url.Values{"grant_type": {"authorization_code"}, "code": {"no-such-code"}, "redirect_uri": {rpRedirect}, "code_verifier": {strings.Repeat("v", 43)},
				"client_assertion_type": {zoidc.ClientAssertionTypeJWTAssertion}, "client_assertion": {a}}
			req := httptest.NewRequest("POST", "/oidc/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, req)
			return w
		}
		for _, c := range []struct {
			name, assertion, why string
		}{
			{"the token endpoint's URL", sign(key, e.issuer+"/oauth/token"), "aud must be the issuer identifier " + e.issuer},
			{"the issuer and another server", sign(key, e.issuer, "https://evil.example"), "aud must be one value"},
			{"another key", sign(other, e.issuer), "does not verify against the client's registered keys"},
		} {
			if w := token(c.assertion); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "invalid_client") || !strings.Contains(w.Body.String(), c.why) {
				t.Errorf("%s: %d %s", c.name, w.Code, w.Body)
			}
		}
		// The right assertion authenticates the client: the made-up code is
		// then the refusal. The same assertion again is a replay: refused
		// (OpenID Connect Core §9: used once), as are one without a jti
		// and one whose exp is more than an hour ahead.
		right := sign(key, e.issuer)
		if w := token(right); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_grant") {
			t.Errorf("the right assertion: %d %s", w.Code, w.Body)
		}
		signClaims := func(c jwt.Claims) string {
			k, err := client.NewSignerFromPrivateKeyByte(key, "k1")
			if err != nil {
				t.Fatal(err)
			}
			a, err := jwt.Signed(k).Claims(c).Serialize()
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		now := time.Now()
		for _, c := range []struct {
			name, assertion, why string
		}{
			{"the same assertion again", right, "jti already used"},
			{"no jti", signClaims(jwt.Claims{Issuer: "insurer", Subject: "insurer", Audience: jwt.Audience{e.issuer}, IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute))}), "jti is required"},
			{"a day long", signClaims(jwt.Claims{Issuer: "insurer", Subject: "insurer", Audience: jwt.Audience{e.issuer}, IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(24 * time.Hour)), ID: "day"}), "at most an hour ahead"},
		} {
			if w := token(c.assertion); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "invalid_client") || !strings.Contains(w.Body.String(), c.why) {
				t.Errorf("%s: %d %s", c.name, w.Code, w.Body)
			}
		}
		req := httptest.NewRequest("GET", "/oidc/.well-known/openid-configuration", nil)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		var disc map[string]any
		json.Unmarshal(w.Body.Bytes(), &disc)
		if algs := fmt.Sprint(disc["token_endpoint_auth_signing_alg_values_supported"]); !strings.Contains(algs, "ES256") || !strings.Contains(algs, "RS256") {
			t.Errorf("token_endpoint_auth_signing_alg_values_supported = %s", algs)
		}
	})
}

// Any page may send a signed-in citizen's browser to end_session: without
// an ID token of theirs (id_token_hint) the citizen is asked first, and
// stays signed in until they confirm; confirmed (not from another site), they are
// signed out and the request goes on to the provider. Another person's ID
// token is no hint for this session.
func TestEndSessionAsksWithoutHint(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		e.Active(e.Minh)
		b := e.browser()
		v := oauth2.GenerateVerifier()
		loc, page := e.signIn(b, e.authURL(v, []string{"openid", "profile"}), e.Lan, []string{"profile"})
		if loc == nil {
			t.Fatalf("no code: %.300s", page)
		}
		b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		signedIn := func() bool {
			res, err := b.Get(e.srv.URL + "/eid/me")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode == http.StatusOK
		}
		if !signedIn() {
			t.Fatal("not signed in")
		}
		// Minh's ID token, as another site could hold one.
		other := e.browser()
		v2 := oauth2.GenerateVerifier()
		loc2, _ := e.signIn(other, e.authURL(v2, []string{"openid", "profile"}), e.Minh, []string{"profile"})
		tok, err := e.config("openid", "profile").Exchange(context.Background(), loc2.Query().Get("code"), oauth2.VerifierOption(v2))
		if err != nil {
			t.Fatal(err)
		}
		minhHint, _ := tok.Extra("id_token").(string)
		for _, q := range []string{"client_id=bank", "id_token_hint=" + url.QueryEscape(minhHint)} {
			res, err := b.Get(e.issuer + "/end_session?" + q)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if l := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(l, "/eid/logout?") {
				t.Errorf("end_session?%.40s: %d %s", q, res.StatusCode, l)
			}
			if !signedIn() {
				t.Fatalf("end_session?%.40s signed the citizen out without asking", q)
			}
		}
		res, err := b.Get(e.srv.URL + "/eid/logout?client_id=bank")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Dịch vụ Ngân hàng Demo yêu cầu đăng xuất") {
			t.Fatalf("the question: %d", res.StatusCode)
		}
		csrf := between(string(body), `name="csrf" value="`, `"`)
		// A form posted from another site (a browser says so) is refused.
		req, _ := http.NewRequest("POST", e.srv.URL+"/eid/logout", strings.NewReader(url.Values{"query": {"client_id=bank"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res, err := b.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
			t.Errorf("confirmed from another site: %v %v", res.StatusCode, err)
		}
		if !signedIn() {
			t.Fatal("signed out by another site's form")
		}
		res, err = b.PostForm(e.srv.URL+"/eid/logout", url.Values{"csrf": {csrf}, "query": {"client_id=bank"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if l := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(l, "/oidc/end_session?client_id=bank") {
			t.Errorf("confirmed: %d %s", res.StatusCode, l)
		}
		if signedIn() {
			t.Error("still signed in after confirming")
		}
		// Without a client's return address, the end leads to the
		// citizen's sign-in page, not the civil servants'.
		res, err = b.Get(e.issuer + "/end_session?state=x")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if l := res.Header.Get("Location"); !strings.HasPrefix(l, "/eid/signin") {
			t.Errorf("an end of session without a client leads to %q", l)
		}
	})
}

// The API answers its problems in the language the caller's
// Accept-Language asks for (a citizen's app in Vietnamese), where the
// catalog has the words; the type, status and field names stay; without
// the header, or asked for English, it answers in English.
func TestProblemsInTheCallersLanguage(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	post := func(lang string) (*httptest.ResponseRecorder, map[string]any) {
		req := httptest.NewRequest("POST", "/api/v1/identity/registrations", strings.NewReader(`{"pin":"001190000001","full_name":"Nguyễn Thị Lan","birth_date":"1990-05-17","phone":"12345","password":"mật khẩu đủ dài rồi"}`))
		req.Header.Set("Content-Type", "application/json")
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		var body map[string]any
		json.Unmarshal(w.Body.Bytes(), &body)
		return w, body
	}
	reason := func(body map[string]any) string {
		errs, _ := body["errors"].([]any)
		if len(errs) != 1 {
			return ""
		}
		fe, _ := errs[0].(map[string]any)
		if fe["field"] != "phone" {
			return ""
		}
		return fmt.Sprint(fe["reason"])
	}
	w, vi := post("vi-VN,vi;q=0.9,en;q=0.5")
	if w.Code != http.StatusUnprocessableEntity || w.Header().Get("Content-Language") != "vi" || !strings.Contains(reason(vi), "phải là số điện thoại di động Việt Nam") ||
		vi["type"] != "https://populus.gov.vn/problems/invalid" || fmt.Sprint(vi["title"]) == "The request is not valid" {
		t.Errorf("in Vietnamese: %d %q %v", w.Code, w.Header().Get("Content-Language"), vi)
	}
	// Asked again in English after Vietnamese: the error's words were not
	// changed for good.
	for _, lang := range []string{"", "en", "fr"} {
		w, en := post(lang)
		if w.Code != http.StatusUnprocessableEntity || w.Header().Get("Content-Language") != "" || !strings.Contains(reason(en), "must be a Vietnamese mobile number") {
			t.Errorf("Accept-Language %q: %d %v", lang, w.Code, en)
		}
	}
}

// A holder who locked their account unlocks it in the browser: the sign-in
// page leads to /eid/unlock, which sends a code to the account's phone
// (answering alike for a PIN without a locked account) and takes it; a
// wrong code comes back on the form.
func TestUnlockPage(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	a := e.Active(e.Lan)
	if _, err := e.Svc.Lock(context.Background(), a.Principal(e.Lan.FullName), identity.LockRequest{Reason: "mất điện thoại"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page := func(res *http.Response, err error) (int, string) { return readPage(t, res, err) }
	if _, body := page(b.Get(e.srv.URL + "/eid/signin")); !strings.Contains(body, `href="/eid/unlock"`) {
		t.Error("the sign-in page does not lead to the unlock page")
	}
	status, body := page(b.Get(e.srv.URL + "/eid/unlock"))
	if status != 200 || !strings.Contains(body, `action="/eid/unlock/code"`) {
		t.Fatalf("unlock page: %d", status)
	}
	csrf := between(body, `name="csrf" value="`, `"`)
	// A PIN without a locked account is answered alike.
	_, other := page(b.PostForm(e.srv.URL+"/eid/unlock/code", url.Values{"csrf": {csrf}, "pin": {e.Minh.PIN}}))
	status, body = page(b.PostForm(e.srv.URL+"/eid/unlock/code", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}}))
	if status != 200 || !strings.Contains(body, `action="/eid/unlock"`) || !strings.Contains(body, `name="code"`) ||
		strings.ReplaceAll(body, e.Lan.PIN, "PIN") != strings.ReplaceAll(other, e.Minh.PIN, "PIN") {
		t.Fatalf("after asking for a code: %d", status)
	}
	code := e.LastCode()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if status, body := page(b.PostForm(e.srv.URL+"/eid/unlock", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {wrong}})); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="f-code-error"`) || !strings.Contains(body, "không phải mã hợp lệ của số định danh này") {
		t.Errorf("a wrong code: %d", status)
	}
	res, err := b.PostForm(e.srv.URL+"/eid/unlock", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/eid/signin" {
		t.Fatalf("unlock: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, _, err := e.Svc.Login(context.Background(), identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "192.0.2.1"}); err != nil {
		t.Errorf("sign-in after the unlock: %v", err)
	}
}

// After "this was not me", the unlock page takes a new password with the
// code: without one, or with its repetition differing, the form comes back
// naming the field, in Vietnamese; with one, the account is unlocked and
// the new password signs in.
func TestUnlockPageAfterNotMe(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	sess, _, err := e.Svc.Login(context.Background(), identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "198.51.100.66"})
	if err != nil {
		t.Fatal(err)
	}
	p := sess.Account.Principal(e.Lan.FullName)
	logins, _ := e.Svc.Logins(context.Background(), p, 0, 1)
	if _, err := e.Svc.Lock(context.Background(), p, identity.LockRequest{NotMeLoginID: logins[0].ID}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page := func(res *http.Response, err error) (int, string) { return readPage(t, res, err) }
	_, body := page(b.Get(e.srv.URL + "/eid/unlock"))
	csrf := between(body, `name="csrf" value="`, `"`)
	status, body := page(b.PostForm(e.srv.URL+"/eid/unlock/code", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}}))
	if status != 200 || !strings.Contains(body, `name="new_password"`) || !strings.Contains(body, `name="repeat_password"`) {
		t.Fatalf("the code's form asks for no new password: %d", status)
	}
	code := e.LastCode()
	const next = "mật khẩu mới chỉ Lan biết"
	for _, c := range []struct {
		pw, again, field, reason string
	}{
		{"", "", "new_password", `href="#f-new_password">Mật khẩu mới: là bắt buộc: bạn đã báo một lần đăng nhập không phải của mình`},
		{next, next + "!", "repeat_password", "không giống mật khẩu mới"},
	} {
		status, body := page(b.PostForm(e.srv.URL+"/eid/unlock", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {code}, "new_password": {c.pw}, "repeat_password": {c.again}}))
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-`+c.field+`-error"`) || !strings.Contains(body, c.reason) {
			t.Errorf("new password %q, again %q: %d, the form does not say %q on %s", c.pw, c.again, status, c.reason, c.field)
		}
	}
	res, err := b.PostForm(e.srv.URL+"/eid/unlock", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {code}, "new_password": {next}, "repeat_password": {next}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlock: %d", res.StatusCode)
	}
	// The page after says what the unlock did.
	if _, body := page(b.Get(e.srv.URL + "/eid/signin")); !strings.Contains(body, "Đã mở khóa tài khoản và đặt mật khẩu mới") {
		t.Error("the sign-in page after the unlock does not say the password changed and the ways in were removed")
	}
	if _, _, err := e.Svc.Login(context.Background(), identity.Attempt{PIN: e.Lan.PIN, Password: next, Remote: "192.0.2.1"}); err != nil {
		t.Errorf("the new password after the unlock: %v", err)
	}
}

// A sign-in request goes on only in the browser that began it: someone who
// began a request (and so knows its id) cannot have a signed-in citizen's
// browser approve it through a link to the consent page (answered at once
// when the consent is remembered), nor take a code from the callback.
func TestSignInBoundToItsBrowser(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		victim := e.browser()
		// The victim signed in at the bank before: the consent is remembered.
		if loc, page := e.signIn(victim, e.authURL(oauth2.GenerateVerifier(), []string{"openid", "profile"}), e.Lan, []string{"profile"}); loc == nil || loc.Query().Get("code") == "" {
			t.Fatalf("the victim's sign-in: %.300s", page)
		}
		// Its request's cookies went with the code.
		srvURL, _ := url.Parse(e.srv.URL)
		for _, c := range victim.Jar.Cookies(srvURL) {
			if strings.HasPrefix(c.Name, "populus_authz_") {
				t.Errorf("a binding cookie outlived its sign-in: %s", c.Name)
			}
		}
		noRedirect := func(c *http.Client) *http.Client {
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			return c
		}
		attacker := noRedirect(e.browser())
		res, err := attacker.Get(e.authURL(oauth2.GenerateVerifier(), []string{"openid", "profile"}))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, _ := res.Location()
		if loc == nil || loc.Path != "/eid/login" || loc.Query().Get("id") == "" {
			t.Fatalf("the attacker's request: %d %v", res.StatusCode, loc)
		}
		id := loc.Query().Get("id")
		victim = noRedirect(victim)
		for _, path := range []string{"/eid/consent?id=" + url.QueryEscape(id), "/eid/login?id=" + url.QueryEscape(id), "/oidc/authorize/callback?id=" + url.QueryEscape(id)} {
			res, err := victim.Get(e.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "trình duyệt khác") {
				t.Errorf("the victim's browser at %s: %d %s", strings.SplitN(path, "?", 2)[0], res.StatusCode, res.Header.Get("Location"))
			}
		}
		res, err = victim.PostForm(e.srv.URL+"/eid/consent", url.Values{"id": {id}, "decision": {"approve"}, "scope": {"profile"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("the victim's browser approving: %d", res.StatusCode)
		}
		// The attacker's callback gets no code: nobody approved.
		res, err = attacker.Get(e.issuer + "/authorize/callback?id=" + url.QueryEscape(id))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if l, _ := res.Location(); l != nil && l.Query().Get("code") != "" {
			t.Errorf("the attacker got a code: %s", l)
		}
	})
}

// portal signs p's holder in to the portal in a new browser, and returns
// it and the session's CSRF token.
func (e *opEnv) portal(t *testing.T, p people.Person) (*http.Client, string) {
	t.Helper()
	b := e.browser()
	res, err := b.PostForm(e.srv.URL+"/eid/signin", url.Values{"pin": {p.PIN}, "password": {identitytest.Password}})
	if err != nil {
		t.Fatal(err)
	}
	me, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/eid/me" {
		t.Fatalf("sign-in ended at %s", res.Request.URL)
	}
	return b, between(string(me), `name="csrf" value="`, `"`)
}

// Locking the last way in from the portal is refused on the portal, which
// says why, not on an error page.
func TestPortalRefusesLockingTheLastMethod(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	b, csrf := e.portal(t, e.Lan)
	// Without the password: the holder's proof is asked for, on the portal.
	res, err := b.PostForm(e.srv.URL+"/eid/me/methods/password/lock", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/eid/me" || !strings.Contains(string(body), "Chưa thực hiện: hãy nhập mật khẩu của tài khoản") {
		t.Errorf("locking without the password: %d at %s", res.StatusCode, res.Request.URL)
	}
	res, err = b.PostForm(e.srv.URL+"/eid/me/methods/password/lock", url.Values{"csrf": {csrf}, "password": {identitytest.Password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/eid/me" || !strings.Contains(string(body), `alert alert-error`) ||
		!strings.Contains(string(body), "đây là cách đăng nhập duy nhất còn lại của bạn") {
		t.Errorf("locking the password alone: %d at %s", res.StatusCode, res.Request.URL)
	}
	// The password changed there, with the present one.
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"csrf": {csrf}, "new_password": {"một mật khẩu mới đủ dài"}}, "Chưa đổi mật khẩu"},
		{url.Values{"csrf": {csrf}, "password": {identitytest.Password}, "new_password": {"một mật khẩu mới đủ dài"}}, "Đã đổi mật khẩu"},
	} {
		res, err = b.PostForm(e.srv.URL+"/eid/me/password", c.form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.Request.URL.Path != "/eid/me" || !strings.Contains(string(body), c.want) {
			t.Errorf("changing the password: %d at %s, want %q", res.StatusCode, res.Request.URL, c.want)
		}
	}
}

// A request's id_token_hint names the account it is for: a session of
// another account does not answer it unasked (prompt=none: login_required;
// otherwise the sign-in form), the hinted one's does. A login_hint that is
// a PIN fills the sign-in form; ui_locales chooses its language.
func TestIDTokenHint(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		e.Active(e.Minh)
		scopes := []string{"openid", "profile"}
		idToken := func(b *http.Client, who people.Person) string {
			t.Helper()
			v := oauth2.GenerateVerifier()
			loc, page := e.signIn(b, e.authURL(v, scopes), who, []string{"profile"})
			if loc == nil || loc.Query().Get("code") == "" {
				t.Fatalf("no code: %v %.300s", loc, page)
			}
			tok, err := e.config(scopes...).Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			s, _ := tok.Extra("id_token").(string)
			return s
		}
		b := e.browser()
		lanHint, minhHint := idToken(b, e.Lan), idToken(e.browser(), e.Minh)
		loc, page := e.signIn(b, e.authURL(oauth2.GenerateVerifier(), scopes, "prompt", "none", "id_token_hint", minhHint), e.Lan, nil)
		e.wantRedirectError(t, loc, page, "login_required", "prompt=none, and the citizen would have to sign in")
		if loc, page := e.signIn(b, e.authURL(oauth2.GenerateVerifier(), scopes, "prompt", "none", "id_token_hint", lanHint), e.Lan, nil); loc == nil || loc.Query().Get("code") == "" {
			t.Errorf("the hinted account's own session: %v %.300s", loc, page)
		}
		res, err := b.Get(e.authURL(oauth2.GenerateVerifier(), scopes, "id_token_hint", minhHint))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/eid/login" {
			t.Errorf("another account's hint, signed in: at %s", res.Request.URL)
		}
		// Signed in there with another account than the hinted one:
		// login_required, no code for someone the client did not ask about.
		loc, page = e.signIn(b, e.authURL(oauth2.GenerateVerifier(), scopes, "id_token_hint", minhHint), e.Lan, nil)
		e.wantRedirectError(t, loc, page, "login_required", "the citizen signed in with another account than the one id_token_hint names")
		res, err = e.browser().Get(e.authURL(oauth2.GenerateVerifier(), scopes, "login_hint", e.Minh.PIN))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), `value="`+e.Minh.PIN+`"`) {
			t.Errorf("login_hint does not fill the form: %.300s", body)
		}
		// ui_locales: the first language the site has, for a browser that
		// chose none, kept for the pages after; a choice made stays.
		fresh := e.browser()
		for _, want := range []string{`<html lang="en"`, `<html lang="en"`} {
			res, err = fresh.Get(e.authURL(oauth2.GenerateVerifier(), scopes, "ui_locales", "fr-FR en vi"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if !strings.Contains(string(body), want) {
				t.Errorf("ui_locales: %.200s", body)
			}
		}
		res, err = fresh.Get(e.srv.URL + "/lang/vi")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = fresh.Get(e.authURL(oauth2.GenerateVerifier(), scopes, "ui_locales", "en"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), `<html lang="vi"`) {
			t.Errorf("ui_locales over the citizen's own choice: %.200s", body)
		}
	})
}

// The portal asks before it locks the account: the lock ends every session
// and the services' sign-ins, so a click alone shows what will happen
// (with the sign-in reported, after "this was not me") and locks nothing;
// the confirmation locks it.
func TestPortalAsksBeforeLocking(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	a := e.Active(e.Lan)
	if _, _, err := e.Svc.Login(context.Background(), identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "198.51.100.66"}); err != nil {
		t.Fatal(err)
	}
	b, csrf := e.portal(t, e.Lan)
	logins, _ := e.Svc.Logins(context.Background(), a.Principal(e.Lan.FullName), 0, 5)
	var theirs int64
	for _, l := range logins {
		if l.Remote == "198.51.100.66" {
			theirs = l.ID
		}
	}
	state := func() identity.State {
		acct, err := e.Svc.Me(context.Background(), a.Principal(e.Lan.FullName))
		if err != nil {
			t.Fatal(err)
		}
		return acct.State
	}
	for _, form := range []url.Values{{"csrf": {csrf}}, {"csrf": {csrf}, "not_me_login_id": {strconv.FormatInt(theirs, 10)}}} {
		res, err := b.PostForm(e.srv.URL+"/eid/me/lock", form)
		status, body := readPage(t, res, err)
		if status != http.StatusOK || !strings.Contains(body, "Khóa tài khoản?") || !strings.Contains(body, `id="confirm-lock"`) {
			t.Fatalf("the first click: %d\n%.500s", status, body)
		}
		if (form.Get("not_me_login_id") != "") != strings.Contains(body, "198.51.100.66") {
			t.Errorf("the page names the reported sign-in: %v", form)
		}
		if s := state(); s != identity.StateActive {
			t.Fatalf("a click alone locked the account: %s", s)
		}
	}
	res, err := b.PostForm(e.srv.URL+"/eid/me/lock", url.Values{"csrf": {csrf}, "confirmed": {"yes"}, "not_me_login_id": {strconv.FormatInt(theirs, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if s := state(); s != identity.StateLocked {
		t.Errorf("confirmed, the account is %s", s)
	}
}

// An account with an authenticator app: the portal's sign-in without the
// code says, in Vietnamese, that the code is needed, and sends no code
// back (a code is used once); the history calls the refusal one of the
// code, the password being right (not "wrong password": someone knows it).
func TestPortalAsksForTheAppCode(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	a := e.Active(e.Lan)
	master, _ := oidc.NewMasterKey()
	e.Svc.SetSealer(master)
	en, err := e.Svc.EnrollTOTP(e.Ctx, a.Principal(""), identity.Proof{Password: identitytest.Password})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := totp.GenerateCode(en.Secret, e.Now)
	if _, err := e.Svc.ConfirmTOTP(e.Ctx, a.Principal(""), identity.TOTPCode{Code: c}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	for _, code := range []string{"", "000000"} {
		res, err := b.PostForm(e.srv.URL+"/eid/signin", url.Values{"pin": {e.Lan.PIN}, "password": {identitytest.Password}, "totp": {code}})
		status, body := readPage(t, res, err)
		if status == http.StatusOK && res.Request.URL.Path == "/eid/me" {
			t.Fatalf("signed in with the code %q", code)
		}
		if !strings.Contains(body, "Hãy nhập mã 6 chữ số hiện tại của ứng dụng xác thực") || strings.Contains(body, `value="000000"`) ||
			!strings.Contains(body, `name="totp"`) || !strings.Contains(body, `autocomplete="one-time-code"`) {
			t.Errorf("the code %q: %d\n%s", code, status, between(body, "<main", "</main>"))
		}
	}
	e.Now = e.Now.Add(30 * time.Second)
	now, _ := totp.GenerateCode(en.Secret, e.Now)
	res, err := b.PostForm(e.srv.URL+"/eid/signin", url.Values{"pin": {e.Lan.PIN}, "password": {identitytest.Password}, "totp": {now}})
	_, me := readPage(t, res, err)
	if n := strings.Count(me, "Sai hoặc thiếu mã ứng dụng xác thực (mật khẩu đúng)"); n != 2 {
		t.Errorf("the history names %d refusals of the code, want 2", n)
	}
}

// A sign-in held up by the throttle says how long to wait, as the API's
// Retry-After does (it said "wait a moment").
func TestPortalSaysHowLongToWait(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	b := e.browser()
	for i := range 30 {
		res, err := b.PostForm(e.srv.URL+"/eid/signin", url.Values{"pin": {e.Lan.PIN}, "password": {"không phải mật khẩu"}})
		status, body := readPage(t, res, err)
		if status != http.StatusTooManyRequests {
			continue
		}
		wait := res.Header.Get("Retry-After")
		if wait == "" || !strings.Contains(body, "Đã thử quá nhiều lần: vui lòng chờ") {
			t.Errorf("try %d held up: Retry-After %q\n%s", i+1, wait, between(body, "<main", "</main>"))
		}
		return
	}
	t.Fatal("30 wrong passwords, none held up")
}

// The portal sets up an authenticator app: with the password (the
// holder's proof), a page gives the key as a link and as text; a first
// code that does not match shows the page again; the right one turns the
// app on, and the next sign-in asks for its code.
func TestPortalSetsUpTheApp(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	master, _ := oidc.NewMasterKey()
	e.Svc.SetSealer(master)
	b, csrf := e.portal(t, e.Lan)
	res, err := b.PostForm(e.srv.URL+"/eid/me/totp", url.Values{"csrf": {csrf}})
	if _, body := readPage(t, res, err); res.Request.URL.Path != "/eid/me" || !strings.Contains(body, "Chưa thực hiện: hãy nhập mật khẩu của tài khoản") {
		t.Fatalf("without the password: %s", res.Request.URL)
	}
	res, err = b.PostForm(e.srv.URL+"/eid/me/totp", url.Values{"csrf": {csrf}, "password": {identitytest.Password}})
	status, page := readPage(t, res, err)
	secret := between(page, `id="totp-secret" class="mono totp-key" aria-label="`, `"`)
	shown := between(page, `id="totp-secret" class="mono totp-key" aria-label="`+secret+`">`, `<`)
	if status != http.StatusOK || secret == "" || !strings.Contains(page, `href="otpauth://totp/`) || strings.ReplaceAll(shown, " ", "") != secret || !strings.Contains(shown, " ") {
		t.Fatalf("the set-up page: %d\n%s", status, between(page, "<main", "</main>"))
	}
	// The QR code: a PNG that decodes, for the phone's app to scan from
	// the computer's screen.
	qr := html.UnescapeString(between(page, `<img src="data:image/png;base64,`, `"`))
	if raw, err := base64.StdEncoding.DecodeString(qr); err != nil || len(raw) < 100 || string(raw[1:4]) != "PNG" || !strings.Contains(page, `id="totp-qr"`) {
		t.Errorf("no QR code on the set-up page (%d bytes, %v)", len(raw), err)
	}
	res, err = b.PostForm(e.srv.URL+"/eid/me/totp/confirm", url.Values{"csrf": {csrf}, "secret": {secret}, "code": {"000000"}})
	if status, page := readPage(t, res, err); status != http.StatusUnprocessableEntity || !strings.Contains(page, "Mã không khớp với khóa này") || !strings.Contains(page, secret) {
		t.Errorf("a wrong first code: %d", status)
	}
	code, _ := totp.GenerateCode(secret, e.Now)
	res, err = b.PostForm(e.srv.URL+"/eid/me/totp/confirm", url.Values{"csrf": {csrf}, "secret": {secret}, "code": {code}})
	if _, page := readPage(t, res, err); res.Request.URL.Path != "/eid/me" || !strings.Contains(page, "Đã bật ứng dụng xác thực") {
		t.Fatalf("the right first code ended at %s", res.Request.URL)
	}
	if _, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "192.0.2.1"}); !problem.Is(err, problem.Unauthorized) {
		t.Errorf("a sign-in without the app's code: %v", err)
	}
}

// A holder who forgot the password sets a new one in the browser: the
// sign-in page leads to /eid/reset, which takes the PIN and the account's
// phone (answering alike for a phone that is not the account's: nothing
// is sent), then the code and the new password twice; a repetition that
// differs comes back on the form; the new password signs in, the old no
// longer.
func TestResetPage(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	b := e.browser()
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	page := func(res *http.Response, err error) (int, string) { return readPage(t, res, err) }
	if _, body := page(b.Get(e.srv.URL + "/eid/signin")); !strings.Contains(body, `href="/eid/reset"`) || !strings.Contains(body, "Quên mật khẩu?") {
		t.Error("the sign-in page does not lead to the reset page")
	}
	status, body := page(b.Get(e.srv.URL + "/eid/reset"))
	if status != 200 || !strings.Contains(body, `action="/eid/reset/code"`) || !strings.Contains(body, `type="tel"`) {
		t.Fatalf("reset page: %d", status)
	}
	csrf := between(body, `name="csrf" value="`, `"`)
	sentBefore := e.Count("SELECT count(*) FROM eid_outbox")
	_, other := page(b.PostForm(e.srv.URL+"/eid/reset/code", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "phone": {"0987 000 111"}}))
	if n := e.Count("SELECT count(*) FROM eid_outbox"); n != sentBefore {
		t.Errorf("a code sent to the account for another number")
	}
	status, body = page(b.PostForm(e.srv.URL+"/eid/reset/code", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "phone": {"0912 345 678"}}))
	if status != 200 || !strings.Contains(body, `action="/eid/reset"`) || !strings.Contains(body, `name="code"`) || body != other {
		t.Fatalf("after asking for a code: %d (the answer differs from a wrong number's: %v)", status, body != other)
	}
	code := e.LastCode()
	const next = "mật khẩu mới Lan vừa đặt"
	status, body = page(b.PostForm(e.srv.URL+"/eid/reset", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {code}, "new_password": {next}, "repeat_password": {next + "!"}}))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-repeat_password-error"`) || !strings.Contains(body, "không giống mật khẩu mới") {
		t.Errorf("a repetition that differs: %d", status)
	}
	res, err := b.PostForm(e.srv.URL+"/eid/reset", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "code": {code}, "new_password": {next}, "repeat_password": {next}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/eid/signin" {
		t.Fatalf("reset: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, body := page(b.Get(e.srv.URL + "/eid/signin")); !strings.Contains(body, "Đã đặt mật khẩu mới; mọi phiên đăng nhập cũ đã kết thúc") {
		t.Error("no word of the new password on the sign-in page")
	}
	if _, _, err := e.Svc.Login(context.Background(), identity.Attempt{PIN: e.Lan.PIN, Password: next, Remote: "192.0.2.1"}); err != nil {
		t.Errorf("sign-in with the new password: %v", err)
	}
	if _, _, err := e.Svc.Login(context.Background(), identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "192.0.2.1"}); err == nil {
		t.Error("the old password still signs in")
	}
}

// A refresh that asks for fewer scopes, without offline_access, still
// spends its refresh token and gets a new one (narrowed, with
// offline_access kept): before, it got an access token only and left the
// refresh token unspent, to be used again and again out of reach of the
// reuse check (RFC 9700 §4.14.2).
func TestNarrowedRefreshRotates(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	toks := e.tokensWith(t, "bank", e.secret, "profile", "birthdate", "offline_access")
	refresh := func(rt, scope string) (int, map[string]any) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		if scope != "" {
			form.Set("scope", scope)
		}
		req := httptest.NewRequest("POST", "/oidc/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("bank", e.secret)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		var out map[string]any
		json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out
	}
	rt1 := toks["refresh_token"].(string)
	code, out := refresh(rt1, "openid profile")
	rt2, _ := out["refresh_token"].(string)
	if code != 200 || rt2 == "" || rt2 == rt1 || strings.Contains(fmt.Sprint(out["scope"]), "birthdate") {
		t.Fatalf("a narrowed refresh: %d %v", code, out)
	}
	if code, out := refresh(rt1, ""); code != 400 || out["error"] != "invalid_grant" {
		t.Errorf("the first refresh token again: %d %v", code, out)
	}
	// Used again, it revoked its family: the new one too.
	if code, out := refresh(rt2, ""); code != 400 || out["error"] != "invalid_grant" {
		t.Errorf("the second refresh token after the first was reused: %d %v", code, out)
	}
}

// A page of another site may read the provider's public answers, never
// with the citizen's cookies: no Access-Control-Allow-Credentials, and
// the origin not reflected (the library's default reflected any with
// credentials allowed).
func TestCORSWithoutCredentials(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	for _, path := range []string{"/oidc/.well-known/openid-configuration", "/oidc/keys", "/oidc/authorize?client_id=bank"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Origin", "https://evil.example")
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		if w.Header().Get("Access-Control-Allow-Credentials") != "" || strings.Contains(w.Header().Get("Access-Control-Allow-Origin"), "evil") {
			t.Errorf("%s: Allow-Origin %q, Allow-Credentials %q", path, w.Header().Get("Access-Control-Allow-Origin"), w.Header().Get("Access-Control-Allow-Credentials"))
		}
	}
	req := httptest.NewRequest("GET", "/oidc/keys", nil)
	req.Header.Set("Origin", "https://spa.example")
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	if w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("the keys are not readable by a page elsewhere: %q", w.Header().Get("Access-Control-Allow-Origin"))
	}
}

// An address under /oidc/ that is no endpoint is answered with a problem
// document, as every other unknown address is (the library's router wrote
// a bare text).
func TestUnknownProviderAddress(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, httptest.NewRequest("GET", "/oidc/no-such-endpoint", nil))
	var b map[string]any
	if w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &b) != nil ||
		!strings.Contains(fmt.Sprint(b["detail"]), "openid-configuration") {
		t.Errorf("%d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}
