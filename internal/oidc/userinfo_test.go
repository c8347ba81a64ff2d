package oidc_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
)

// A client registered with userinfo_signed_response_alg receives the
// userinfo answer as a JWT (application/jwt) signed with the provider's
// key of that algorithm, verified against the JWKS as a relying party
// would, with iss, aud and the consented claims; other clients receive
// JSON.
func TestSignedUserinfo(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		if _, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "bad", Name: "Bad", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, UserinfoAlg: "HS256"}); err == nil || !strings.Contains(err.Error(), "userinfo_signed_response_alg") {
			t.Errorf("HS256 accepted: %v", err)
		}
		secret, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "bank-jwt", Name: "Signed", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid", "profile"}, UserinfoAlg: "ES256"})
		if err != nil {
			t.Fatal(err)
		}
		userinfo := func(access string) (*http.Response, []byte) {
			req, _ := http.NewRequest("GET", e.issuer+"/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+access)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, b
		}
		res, body := userinfo(e.accessTokenOf(t, "bank-jwt", secret))
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/jwt" {
			t.Fatalf("userinfo: %d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		keys := gooidc.NewRemoteKeySet(ctx, e.issuer+"/keys")
		payload, err := keys.VerifySignature(ctx, string(body))
		if err != nil {
			t.Fatalf("signature: %v", err)
		}
		var claims map[string]any
		json.Unmarshal(payload, &claims)
		if claims["iss"] != e.issuer || claims["aud"] != "bank-jwt" || claims["name"] != "Nguyễn Thị Lan" || claims["sub"] == "" {
			t.Errorf("claims %v", claims)
		}
		if hdr := strings.SplitN(string(body), ".", 2)[0]; !strings.Contains(string(mustB64(t, hdr)), `"ES256"`) {
			t.Errorf("header %s", mustB64(t, hdr))
		}
		res, body = userinfo(e.accessToken(t))
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !json.Valid(body) {
			t.Errorf("plain userinfo: %d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		res, _ = userinfo("not-a-token")
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("bad token: %d", res.StatusCode)
		}
	})
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
