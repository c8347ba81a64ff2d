package oidc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
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

// A client registered with userinfo_encrypted_response_alg receives a
// nested JWT: the relying party decrypts it with its private key (RSA or
// EC, with either content encryption) and verifies the signature inside
// against the provider's JWKS; another key cannot decrypt it. The ID token
// of a client registered with id_token_encrypted_response_alg comes the
// same way. A client without a suitable key is refused, naming the field.
func TestEncryptedUserinfo(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		sigKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		jwks := func(keys ...jose.JSONWebKey) json.RawMessage {
			b, _ := json.Marshal(jose.JSONWebKeySet{Keys: keys})
			return b
		}
		rsaPub := jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "enc-rsa", Use: "enc"}
		ecPub := jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "enc-ec", Algorithm: "ECDH-ES+A256KW"}
		sigPub := jose.JSONWebKey{Key: &sigKey.PublicKey, KeyID: "sig", Use: "sig", Algorithm: "ES256"}

		for _, c := range []struct {
			cfg   oidc.ClientConfig
			field string
		}{
			{oidc.ClientConfig{UserinfoEncAlg: "RSA-OAEP-256"}, "userinfo_encrypted_response_alg"},
			{oidc.ClientConfig{UserinfoEncAlg: "RSA-OAEP-256", JWKS: jwks(ecPub, sigPub)}, "userinfo_encrypted_response_alg"},
			{oidc.ClientConfig{UserinfoEncAlg: "ECDH-ES+A256KW", JWKS: jwks(rsaPub, sigPub)}, "userinfo_encrypted_response_alg"},
			{oidc.ClientConfig{UserinfoEncAlg: "RSA1_5", JWKS: jwks(rsaPub)}, "userinfo_encrypted_response_alg"},
			{oidc.ClientConfig{UserinfoEncAlg: "RSA-OAEP-256", UserinfoEnc: "A128GCM", JWKS: jwks(rsaPub)}, "userinfo_encrypted_response_enc"},
			{oidc.ClientConfig{UserinfoEnc: "A256GCM"}, "userinfo_encrypted_response_enc"},
			{oidc.ClientConfig{IDTokenEncAlg: "RSA-OAEP-256", JWKS: jwks(sigPub)}, "id_token_encrypted_response_alg"},
		} {
			cfg := c.cfg
			cfg.ID, cfg.Name, cfg.AuthMethod, cfg.RedirectURIs, cfg.Scopes = "wrong", "Wrong", oidc.AuthSecretBasic, []string{rpRedirect}, []string{"openid"}
			_, err := e.prov.Clients().Register(ctx, cfg)
			var pe *problem.Error
			if !errors.As(err, &pe) || len(pe.Fields) == 0 || pe.Fields[0].Field != c.field {
				t.Errorf("%+v: %v, want the field %s", c.cfg, err, c.field)
			}
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
		providerKeys := gooidc.NewRemoteKeySet(ctx, e.issuer+"/keys")
		// open decrypts a nested JWT with key and verifies the signature
		// inside, returning its claims and the algorithms of both layers.
		open := func(nested string, key any) (map[string]any, string, string, error) {
			obj, err := jose.ParseEncrypted(nested, []jose.KeyAlgorithm{jose.RSA_OAEP_256, jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A256GCM, jose.A128CBC_HS256})
			if err != nil {
				return nil, "", "", err
			}
			if obj.Header.ExtraHeaders[jose.HeaderContentType] != "JWT" {
				return nil, "", "", fmt.Errorf("cty %v", obj.Header.ExtraHeaders)
			}
			signed, err := obj.Decrypt(key)
			if err != nil {
				return nil, "", "", err
			}
			payload, err := providerKeys.VerifySignature(ctx, string(signed))
			if err != nil {
				return nil, "", "", err
			}
			var claims map[string]any
			err = json.Unmarshal(payload, &claims)
			return claims, string(mustB64(t, strings.SplitN(nested, ".", 2)[0])), string(mustB64(t, strings.SplitN(string(signed), ".", 2)[0])), err
		}
		for _, c := range []struct {
			id               string
			cfg              oidc.ClientConfig
			key, wrong       any
			wantEnc, wantSig string
			encryptsIDToken  bool
		}{
			{"rsa", oidc.ClientConfig{UserinfoEncAlg: "RSA-OAEP-256", JWKS: jwks(sigPub, rsaPub)}, rsaKey, ecKey, `"enc":"A256GCM"`, `"RS256"`, false},
			{"ec", oidc.ClientConfig{UserinfoEncAlg: "ECDH-ES+A256KW", UserinfoEnc: "A128CBC-HS256", UserinfoAlg: "ES256",
				IDTokenEncAlg: "ECDH-ES+A256KW", JWKS: jwks(rsaPub, ecPub)}, ecKey, rsaKey, `"enc":"A128CBC-HS256"`, `"ES256"`, true},
		} {
			cfg := c.cfg
			cfg.ID, cfg.Name, cfg.AuthMethod, cfg.RedirectURIs, cfg.Scopes = "bank-"+c.id, "Encrypted", oidc.AuthSecretBasic, []string{rpRedirect}, []string{"openid", "profile"}
			secret, err := e.prov.Clients().Register(ctx, cfg)
			if err != nil {
				t.Fatalf("%s: %v", c.id, err)
			}
			tokens := e.tokensOf(t, cfg.ID, secret)
			res, body := userinfo(tokens["access_token"].(string))
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/jwt" || strings.Count(string(body), ".") != 4 {
				t.Fatalf("%s: userinfo %d %s %.200s", c.id, res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			claims, encHdr, sigHdr, err := open(string(body), c.key)
			if err != nil {
				t.Fatalf("%s: open: %v", c.id, err)
			}
			if claims["iss"] != e.issuer || claims["aud"] != cfg.ID || claims["name"] != "Nguyễn Thị Lan" || claims["sub"] == "" {
				t.Errorf("%s: claims %v", c.id, claims)
			}
			if !strings.Contains(encHdr, c.wantEnc) || !strings.Contains(encHdr, `"alg":"`+cfg.UserinfoEncAlg+`"`) || !strings.Contains(sigHdr, c.wantSig) {
				t.Errorf("%s: headers %s / %s", c.id, encHdr, sigHdr)
			}
			if _, _, _, err := open(string(body), c.wrong); err == nil {
				t.Errorf("%s: decrypted with the wrong key", c.id)
			}
			idToken := tokens["id_token"].(string)
			if c.encryptsIDToken {
				claims, _, _, err := open(idToken, c.key)
				if err != nil || fmt.Sprint(claims["aud"]) != "["+cfg.ID+"]" || claims["iss"] != e.issuer {
					t.Errorf("%s: ID token %v %v", c.id, claims, err)
				}
			} else if strings.Count(idToken, ".") != 2 {
				t.Errorf("%s: ID token encrypted unasked: %.80s", c.id, idToken)
			}
		}
		// Discovery advertises what is supported.
		res, err := http.Get(e.issuer + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var disc map[string]any
		json.NewDecoder(res.Body).Decode(&disc)
		res.Body.Close()
		for _, k := range []string{"userinfo_encryption_alg_values_supported", "id_token_encryption_alg_values_supported"} {
			if fmt.Sprint(disc[k]) != "[RSA-OAEP-256 ECDH-ES+A256KW]" {
				t.Errorf("%s: %v", k, disc[k])
			}
		}
		if fmt.Sprint(disc["userinfo_encryption_enc_values_supported"]) != "[A256GCM A128CBC-HS256]" {
			t.Errorf("enc values: %v", disc["userinfo_encryption_enc_values_supported"])
		}
	})
}

// The address goes to services from level 2 only: a level-1 account (opened
// on facts of the card others may know) gives a client that asked for it
// no address, the consent screen says so, and the claims' audit entry does
// not list it; raised to level 2, the same sign-in gives it.
func TestAddressFromLevel2Only(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		secret, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "insurer", Name: "Bảo hiểm", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid", "profile", "address"}})
		if err != nil {
			t.Fatal(err)
		}
		cfg := &oauth2.Config{ClientID: "insurer", ClientSecret: secret, RedirectURL: rpRedirect, Scopes: []string{"openid", "profile", "address"},
			Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "/authorize", TokenURL: e.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
		claims := func() (map[string]any, string) {
			t.Helper()
			v := oauth2.GenerateVerifier()
			b := e.browser()
			// prompt=consent: the screen each time, the first answer
			// remembered or not.
			res, err := b.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "consent")))
			if err != nil {
				t.Fatal(err)
			}
			login, _ := io.ReadAll(res.Body)
			res.Body.Close()
			id := between(string(login), `name="id" value="`, `"`)
			res, err = b.PostForm(e.srv.URL+"/eid/login", url.Values{"id": {id}, "pin": {e.Lan.PIN}, "password": {identitytest.Password}})
			if err != nil {
				t.Fatal(err)
			}
			screen, _ := io.ReadAll(res.Body)
			res.Body.Close()
			res, err = b.PostForm(e.srv.URL+"/eid/consent", url.Values{"id": {id}, "decision": {"approve"}, "scope": {"profile", "address"}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			loc, _ := res.Location()
			if loc == nil {
				t.Fatalf("no redirect: %d", res.StatusCode)
			}
			tok, err := cfg.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatal(err)
			}
			res, err = cfg.Client(ctx, tok).Get(e.issuer + "/userinfo")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			json.NewDecoder(res.Body).Decode(&out)
			return out, string(screen)
		}
		got, screen := claims()
		if got["name"] != "Nguyễn Thị Lan" || got["address"] != nil {
			t.Errorf("level 1: %v", got)
		}
		if !strings.Contains(screen, "chỉ chia sẻ khi tài khoản ở mức 2") {
			t.Error("the consent screen does not say the address is withheld at level 1")
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND fields LIKE '%permanent_residence%'", oidc.ActionClaims); n != 0 {
			t.Errorf("%d claims entries list the address at level 1", n)
		}
		e.RaiseLevel2(e.Lan)
		got, screen = claims()
		if addr, _ := got["address"].(map[string]any); addr == nil || addr["formatted"] == "" {
			t.Errorf("level 2: %v", got)
		}
		if strings.Contains(screen, "chỉ chia sẻ khi tài khoản ở mức 2") {
			t.Error("the consent screen withholds the address at level 2")
		}
	})
}
