package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"

	jose "github.com/go-jose/go-jose/v4"
)

// userinfoClientKey carries, through the library's userinfo handler, the
// holder in which the storage notes the client the access token was
// issued to, or that the token is not active (SetUserinfoFromToken).
type userinfoClientKey struct{}

type userinfoCall struct {
	client   string
	inactive bool
}

// serveUserinfo is the library's userinfo endpoint; for a client
// registered with userinfo_signed_response_alg, its JSON answer becomes
// the claims of a JWT signed with the provider's key of that algorithm,
// with iss and aud (OpenID Connect Core §5.3.2), answered as
// application/jwt; for one registered with
// userinfo_encrypted_response_alg, that JWT (signed with RS256 when no
// signing algorithm was registered) is then encrypted to the client's key,
// a nested JWT.
func (p *Provider) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	// Not in the URL, where logs, proxies and the browser's history keep
	// it (RFC 6750 §2.3, §5.3): the header, or a POST's body.
	if r.URL.Query().Has("access_token") {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request", error_description="the access token may not be sent in the URL"`)
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the access token may not be sent in the URL: send it in the Authorization header (Bearer)")
		return
	}
	// The form is read here, once: the library's handler reads the same
	// (StripPrefix's copy of the request shares it), and whether a token
	// was sent in it decides the error below.
	r.Body = http.MaxBytesReader(w, r.Body, maxPARBody)
	r.ParseForm()
	call := new(userinfoCall)
	r = r.WithContext(context.WithValue(r.Context(), userinfoClientKey{}, call))
	rec := httptest.NewRecorder()
	http.StripPrefix(Prefix, p.handler).ServeHTTP(rec, r)
	// A token refused, expired or revoked (the library answers 403 for
	// the latter): RFC 6750's 401 invalid_token, with its challenge.
	if call.inactive || rec.Code == http.StatusUnauthorized {
		if r.Header.Get("Authorization") == "" && r.PostForm.Get("access_token") == "" {
			w.Header().Set("WWW-Authenticate", "Bearer") // no token: no error code (RFC 6750 section 3.1)
			writeOAuthError(w, http.StatusUnauthorized, "invalid_request", "send the access token as a bearer token")
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="the access token is expired, revoked or unknown"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_token", "the access token is expired, revoked or unknown")
		return
	}
	if rec.Code == http.StatusOK && call.client != "" {
		if c, err := p.clients.Get(r.Context(), call.client); err == nil && (c.UserinfoAlg != "" || c.UserinfoEncAlg != "") {
			signed, err := p.signUserinfo(r.Context(), c, rec.Body.Bytes())
			if err == nil && c.UserinfoEncAlg != "" {
				signed, err = c.encrypt(signed, c.UserinfoEncAlg, c.UserinfoEnc)
			}
			if err != nil {
				writeOAuthError(w, http.StatusInternalServerError, "server_error", "the userinfo answer could not be signed or encrypted")
				return
			}
			w.Header().Set("Content-Type", "application/jwt")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Length", strconv.Itoa(len(signed)))
			w.WriteHeader(http.StatusOK)
			w.Write(signed)
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	// Claims about a person: no cache keeps them (OpenID Connect Core
	// §5.3.2 with RFC 6749 §5.1's rule for tokens).
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// signUserinfo signs the claims of a userinfo answer for c.
func (p *Provider) signUserinfo(ctx context.Context, c *Client, body []byte) ([]byte, error) {
	var claims map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		return nil, err
	}
	claims["iss"], claims["aud"] = p.opts.Issuer, c.ID
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	alg := c.UserinfoAlg
	if alg == "" {
		alg = string(jose.RS256)
	}
	key, err := p.keys.active(ctx, jose.SignatureAlgorithm(alg))
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.alg, Key: key.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), key.id))
	if err != nil {
		return nil, err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, err
	}
	s, err := jws.CompactSerialize()
	return []byte(s), err
}
