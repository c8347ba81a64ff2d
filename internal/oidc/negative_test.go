package oidc_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
)

// authURL is the authorization URL of client "bank" with PKCE, and extra
// parameters.
func (e *opEnv) authURL(verifier string, scopes []string, extra ...string) string {
	opts := []oauth2.AuthCodeOption{}
	if verifier != "" {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(extra[i], extra[i+1]))
	}
	return e.config(scopes...).AuthCodeURL("st", opts...)
}

// wantRedirectError checks that the sign-in ended at the relying party
// with error and error_description, state and iss.
func (e *opEnv) wantRedirectError(t *testing.T, loc *url.URL, page, code, desc string) {
	t.Helper()
	if loc == nil {
		t.Fatalf("no redirect; page %.300s", page)
	}
	q := loc.Query()
	if q.Get("error") != code || q.Get("error_description") != desc || q.Get("state") != "st" || q.Get("iss") != e.issuer {
		t.Fatalf("redirect = %s, want error %s: %s", loc, code, desc)
	}
}

// The negative cases of the protocol, each with its exact error.
func TestRefusals(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		e.Active(e.Minh)
		ctx := context.Background()
		all := []string{"openid", "profile", "birthdate"}

		t.Run("unregistered redirect URI", func(t *testing.T) {
			c := e.config(all...)
			c.RedirectURL = "http://127.0.0.1:9/elsewhere"
			res, err := e.browser().Get(c.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			// Not sent back there: a page in the citizen's language.
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
				!strings.Contains(string(body), `lang="vi"`) || !strings.Contains(string(body), "yêu cầu trả kết quả về một địa chỉ mà dịch vụ chưa đăng ký") {
				t.Errorf("%d %s %.300s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		})
		t.Run("unknown client", func(t *testing.T) {
			c := e.config(all...)
			c.ClientID = "nobody"
			res, err := e.browser().Get(c.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || strings.Contains(string(body), "If you have any questions") || !strings.Contains(string(body), "chưa được đăng ký với hệ thống định danh điện tử") {
				t.Errorf("%d %s %.300s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		})
		t.Run("implicit flow", func(t *testing.T) {
			for _, rt := range []string{"token", "id_token token", "code id_token"} {
				u := e.authURL(oauth2.GenerateVerifier(), all, "response_type", rt, "nonce", "n")
				res, err := e.browser().Get(u)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				loc, _ := res.Location()
				e.wantRedirectError(t, loc, "", "unsupported_response_type", "only the authorization code flow (response_type=code) is offered")
			}
		})
		t.Run("authorization request checks", func(t *testing.T) {
			redirected := func(u string) *url.URL {
				t.Helper()
				res, err := e.browser().Get(u)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				loc, _ := res.Location()
				return loc
			}
			v := oauth2.GenerateVerifier()
			e.wantRedirectError(t, redirected(e.authURL(v, all)+"&scope=openid"), "", "invalid_request", "the parameter scope is given more than once (RFC 6749 §3.1)")
			e.wantRedirectError(t, redirected(e.authURL(v, all, "request_uri", "https://rp.example/request.jwt")), "", "request_uri_not_supported",
				"request_uri is only that of a request pushed to "+e.issuer+"/par (RFC 9126)")
			e.wantRedirectError(t, redirected(e.authURL(v, all, "response_mode", "form_post")), "", "invalid_request",
				"response_mode form_post is not offered: the code is sent in the query (response_mode=query)")
			e.wantRedirectError(t, redirected(e.authURL("", all, "code_challenge", "short", "code_challenge_method", "S256")), "", "invalid_request",
				"code_challenge must be the 43 characters of BASE64URL(SHA256(code_verifier)) (RFC 7636 §4.2)")
			// A malformed max_age, a prompt not offered, a request without
			// openid: sent back to the client with the state.
			for _, ma := range []string{"abc", "-1", "99999999999"} {
				e.wantRedirectError(t, redirected(e.authURL(v, all, "max_age", ma)), "", "invalid_request", "max_age must be a whole number of seconds")
			}
			e.wantRedirectError(t, redirected(e.authURL(v, all, "prompt", "bogus")), "", "invalid_request",
				"prompt bogus is not offered (prompt_values_supported: none, login, consent, select_account)")
			e.wantRedirectError(t, redirected(e.authURL(v, []string{"profile"})), "", "invalid_scope", "the scope must include openid: this is an OpenID Connect provider")
			// No redirect_uri: nowhere to send the error.
			res, err := e.browser().Get(strings.Replace(e.authURL(v, all), "redirect_uri=", "x=", 1))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "không cho biết địa chỉ nhận kết quả") {
				t.Errorf("no redirect_uri: %d %.300s", res.StatusCode, body)
			}
		})
		t.Run("unknown scopes ignored", func(t *testing.T) {
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), append([]string{"email", "foobar"}, all...)), e.Lan, all[1:])
			if loc == nil || loc.Query().Get("code") == "" {
				t.Fatalf("unknown scopes: %v %.300s", loc, page)
			}
		})
		t.Run("missing PKCE", func(t *testing.T) {
			loc, page := e.signIn(e.browser(), e.authURL("", all), e.Lan, all)
			e.wantRedirectError(t, loc, page, "invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256")
		})
		code := func(b *http.Client, verifier string) string {
			t.Helper()
			loc, page := e.signIn(b, e.authURL(verifier, all), e.Lan, all[1:])
			if loc == nil || loc.Query().Get("code") == "" {
				t.Fatalf("no code: %v %.300s", loc, page)
			}
			return loc.Query().Get("code")
		}
		b := e.browser()
		t.Run("wrong PKCE verifier", func(t *testing.T) {
			// A failed exchange spends the code, whatever failed: the
			// right verifier after it gets nothing (a thief's try with a
			// stolen code leaves no second chance, nor a first for anyone).
			for _, sent := range []string{oauth2.GenerateVerifier(), ""} {
				v := oauth2.GenerateVerifier()
				c := code(b, v)
				var opts []oauth2.AuthCodeOption
				want := "invalid_request"
				if sent != "" {
					opts, want = append(opts, oauth2.VerifierOption(sent)), "invalid_grant"
				}
				_, err := e.config(all...).Exchange(ctx, c, opts...)
				wantOAuthError(t, err, want)
				_, err = e.config(all...).Exchange(ctx, c, oauth2.VerifierOption(v))
				wantOAuthError(t, err, "invalid_grant")
			}
		})
		t.Run("reused code", func(t *testing.T) {
			v := oauth2.GenerateVerifier()
			c := code(b, v)
			tok, err := e.config(all...).Exchange(ctx, c, oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.config(all...).Exchange(ctx, c, oauth2.VerifierOption(v))
			wantOAuthError(t, err, "invalid_grant")
			// The tokens issued with it are revoked.
			res, err := e.config(all...).Client(ctx, tok).Get(e.issuer + "/userinfo")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Error("the access token of a reused code still works")
			}
		})
		t.Run("a secret in the body", func(t *testing.T) {
			v := oauth2.GenerateVerifier()
			c := e.config(all...)
			c.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			_, err := c.Exchange(ctx, code(b, v), oauth2.VerifierOption(v))
			wantOAuthError(t, err, "invalid_client")
			// Nor in the URL, at introspection.
			req, _ := http.NewRequest("POST", e.issuer+"/oauth/introspect?client_id=bank&client_secret="+url.QueryEscape(e.secret), strings.NewReader("token=x"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("a secret in the introspection's URL: %d", res.StatusCode)
			}
		})
		t.Run("tampered and expired tokens", func(t *testing.T) {
			v := oauth2.GenerateVerifier()
			tok, err := e.config(all...).Exchange(ctx, code(b, v), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			status := func(access string) int {
				req, _ := http.NewRequest("GET", e.issuer+"/userinfo", nil)
				req.Header.Set("Authorization", "Bearer "+access)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			if s := status(tok.AccessToken); s != http.StatusOK {
				t.Fatalf("userinfo: %d", s)
			}
			tampered := []byte(tok.AccessToken)
			tampered[len(tampered)/2] ^= 1
			if s := status(string(tampered)); s == http.StatusOK {
				t.Error("a tampered access token works")
			}
			e.prov.SetClock(func() time.Time { return time.Now().Add(11 * time.Minute) })
			defer e.prov.SetClock(time.Now)
			if s := status(tok.AccessToken); s == http.StatusOK {
				t.Error("an expired access token works")
			}
			// RFC 6750: an expired token is invalid_token, a 401 with its
			// challenge; no token, the challenge alone.
			for _, c := range []struct{ auth, want string }{{"Bearer " + tok.AccessToken, `Bearer error="invalid_token"`}, {"", "Bearer"}} {
				req, _ := http.NewRequest("GET", e.issuer+"/userinfo", nil)
				if c.auth != "" {
					req.Header.Set("Authorization", c.auth)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if ch := res.Header.Get("WWW-Authenticate"); res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(ch, c.want) || c.auth == "" && ch != "Bearer" {
					t.Errorf("userinfo with %q: %d %q", c.auth, res.StatusCode, ch)
				}
			}
			// The same token in a POST's body: invalid_token too (it was
			// presented; the answer said none was).
			res, err := http.PostForm(e.issuer+"/userinfo", url.Values{"access_token": {tok.AccessToken}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if ch := res.Header.Get("WWW-Authenticate"); res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(ch, `Bearer error="invalid_token"`) {
				t.Errorf("userinfo with the token in the body: %d %q", res.StatusCode, ch)
			}
		})
		t.Run("PAR required but not used", func(t *testing.T) {
			if _, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "strict", Name: "Strict", AuthMethod: oidc.AuthSecretBasic,
				RedirectURIs: []string{rpRedirect}, Scopes: all, PARRequired: true}); err != nil {
				t.Fatal(err)
			}
			c := e.config(all...)
			c.ClientID = "strict"
			loc, page := e.signIn(e.browser(), c.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), e.Lan, all)
			e.wantRedirectError(t, loc, page, "invalid_request", "this client must push its authorization requests first (PAR, RFC 9126)")
		})
		t.Run("a scope the client may not ask for", func(t *testing.T) {
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), []string{"openid", "vn_pin"}), e.Lan, all)
			e.wantRedirectError(t, loc, page, "invalid_scope", "this client may not ask for the scope vn_pin")
		})
		t.Run("declined essential claim", func(t *testing.T) {
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), all), e.Minh, []string{"birthdate"})
			e.wantRedirectError(t, loc, page, "access_denied", "the citizen declined to share profile, which this service requires")
		})
		t.Run("declined", func(t *testing.T) {
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), all), e.Minh, nil)
			e.wantRedirectError(t, loc, page, "access_denied", "the citizen declined to share their information with this service")
		})
		t.Run("level 1 account asked for level 2", func(t *testing.T) {
			// Answered before any consent screen (one shown would be
			// declined here, giving access_denied).
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), all, "acr_values", oidc.ACRLevel2), e.Minh, nil)
			e.wantRedirectError(t, loc, page, "unmet_authentication_requirements",
				"this service requires a level-2 account; the account is at level 1 (level 2 is raised in person at a police office)")
		})
		t.Run("one factor where two are asked for", func(t *testing.T) {
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), all, "acr_values", oidc.ACRLevel1MFA), e.Minh, all)
			e.wantRedirectError(t, loc, page, "unmet_authentication_requirements",
				"this service requires a sign-in with two factors: a passkey that verifies you, or the password with the authenticator app's code")
		})
		t.Run("locked method", func(t *testing.T) {
			lan := e.Lan
			sess, _, err := e.Svc.Login(ctx, identity.Attempt{PIN: lan.PIN, Password: identitytest.Password, Remote: "192.0.2.3"})
			if err != nil {
				t.Fatal(err)
			}
			holder := sess.Account.Principal("")
			site := strings.Replace(e.srv.URL, "127.0.0.1", "localhost", 1)
			if err := e.Svc.SetPasskeys(identity.PasskeyOptions{RPID: "localhost", Origins: []string{site}}); err != nil {
				t.Fatal(err)
			}
			c, err := e.Svc.BeginPasskey(ctx, holder, identity.Proof{Password: identitytest.Password})
			if err != nil {
				t.Fatal(err)
			}
			cred, err := (&identitytest.Authenticator{Origin: site}).Create(c.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Svc.AddPasskey(ctx, holder, identity.PasskeyRegistration{Ceremony: c.ID, Name: "phone", Credential: cred}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Svc.LockMethod(ctx, holder, identity.MethodRequest{Method: identity.MethodPassword, Password: identitytest.Password}); err != nil {
				t.Fatal(err)
			}
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), all), lan, all)
			if loc != nil || !strings.Contains(page, "Signing in with the password is locked by the account&#39;s holder") {
				t.Errorf("locked password: %v %.600s", loc, between(page, "<main", "</main>"))
			}
			// Unlocked in the store (the unlock's proof is identity's to test).
			if _, err := d.ExecContext(ctx, "DELETE FROM eid_method_locks"); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("locked and revoked accounts", func(t *testing.T) {
			bl := e.browser()
			e.signIn(bl, e.authURL(oauth2.GenerateVerifier(), all), e.Lan, all)
			sess, _, err := e.Svc.Login(ctx, identity.Attempt{PIN: e.Lan.PIN, Password: "correct horse battery", Remote: "192.0.2.3"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Svc.Lock(ctx, sess.Account.Principal(""), identity.LockRequest{}); err != nil {
				t.Fatal(err)
			}
			loc, page := e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), all), e.Lan, all)
			// The page says it in Vietnamese, and where to unlock.
			if loc != nil || !strings.Contains(page, "Tài khoản đang bị khóa; hãy mở khóa bằng mã gửi tới điện thoại của bạn (trang /eid/unlock)") {
				t.Errorf("locked: %v %.400s", loc, page)
			}
			// The browser that was signed in lost its session with the lock.
			loc, page = e.signIn(bl, e.authURL(oauth2.GenerateVerifier(), all), e.Lan, all)
			if loc != nil || !strings.Contains(page, "Tài khoản đang bị khóa") {
				t.Errorf("locked, signed-in browser: %v", loc)
			}
			registrar := auth.Staff(9, "registrar", "", auth.Registrar, identitytest.BaDinh)
			if _, err := e.Reg.RegisterDeath(ctx, registrar, people.DeathRegistration{PIN: e.Minh.PIN, DeathDate: civil.Date{Year: 2026, Month: 1, Day: 2}}); err != nil {
				t.Fatal(err)
			}
			loc, page = e.signIn(e.browser(), e.authURL(oauth2.GenerateVerifier(), all), e.Minh, all)
			if loc != nil || !strings.Contains(page, "Tài khoản đã bị thu hồi") {
				t.Errorf("revoked: %v %.400s", loc, page)
			}
		})
	})
}
