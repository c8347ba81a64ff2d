package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// Routes returns the protocol's endpoints under Prefix, all public: they
// authenticate clients by their own means. It may be called on a nil
// *Provider, to list them.
func (p *Provider) Routes() []httpx.Route {
	h := http.Handler(http.HandlerFunc(p.serveProtocol))
	return append([]httpx.Route{
		{Pattern: "GET " + Prefix + "/", Handler: h, Access: httpx.AccessPublic},
		{Pattern: "POST " + Prefix + "/", Handler: h, Access: httpx.AccessPublic},
	}, p.apiRoutes()...)
}

// maxPARBody bounds a pushed authorization request.
const maxPARBody = 16 << 10

// parTTL is how long a pushed request may be used (RFC 9126 §2.2).
const parTTL = 60 * time.Second

const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

func (p *Provider) serveProtocol(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, Prefix)
	switch {
	case path == parPath && r.Method == http.MethodPost:
		p.servePAR(w, r)
		return
	case path == "/authorize":
		var ok bool
		if r, ok = p.beforeAuthorize(w, r); !ok {
			return
		}
		w = &issWriter{ResponseWriter: &bindWriter{ResponseWriter: w, p: p}, iss: p.opts.Issuer}
	case path == "/authorize/callback":
		// The code goes only to the browser that began the request, whose
		// binding cookies it then takes back (one a request: headers would
		// grow with every sign-in for their ten minutes).
		id := r.URL.Query().Get("id")
		if !p.Bound(r, id) {
			p.notThisBrowser(w, r)
			return
		}
		p.unbind(w, id)
		w = &issWriter{ResponseWriter: w, iss: p.opts.Issuer}
	case path == "/oauth/token" || path == "/oauth/introspect" || path == "/revoke":
		// Tokens and what they stand for are never cached (RFC 6749
		// §5.1, RFC 7662 §2.2).
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		// POST only (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1).
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "this endpoint takes a POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxPARBody)
		if err := r.ParseForm(); err == nil {
			// Clients authenticate as registered: client_secret_basic
			// or private_key_jwt, never a secret in the body (the
			// library would take one as client_secret_post) nor in the
			// URL (where logs and proxies keep it).
			if r.Form.Has("client_secret") {
				writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client_secret_post is not an authentication method of this provider: send the secret with HTTP Basic (client_secret_basic)")
				return
			}
			hint := r.PostForm.Get("client_id")
			id, secret, basic := r.BasicAuth()
			assertion := r.PostForm.Get("client_assertion_type") == zoidc.ClientAssertionTypeJWTAssertion
			if !basic && !assertion {
				// No client authentication at all: invalid_client (RFC
				// 6749 §5.2), not the library's invalid_request.
				w.Header().Set("WWW-Authenticate", `Basic realm="populus"`)
				writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "the client must authenticate: client_secret_basic or private_key_jwt")
				return
			}
			if basic {
				hint, _ = url.QueryUnescape(id)
				// A client that authenticated with the Authorization
				// header and failed gets 401 with a challenge (RFC 6749
				// §5.2); the library would answer 400.
				secret, _ = url.QueryUnescape(secret)
				if body := r.PostForm.Get("client_id"); body != "" && body != hint {
					writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id differs from the authenticated client")
					return
				}
				if err := (&storage{p}).AuthorizeClientIDSecret(r.Context(), hint, secret); err != nil {
					w.Header().Set("WWW-Authenticate", `Basic realm="populus", error="invalid_client"`)
					writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "wrong client credentials")
					return
				}
			}
			if assertion {
				// A client assertion that does not verify is a failed
				// client authentication: invalid_client (RFC 7523 §3.2),
				// which the library answers as invalid_grant.
				id, err := p.authenticateClient(r)
				if err != nil {
					writeOAuthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
					return
				}
				if body := r.PostForm.Get("client_id"); body != "" && body != id {
					writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id differs from the authenticated client")
					return
				}
				hint = id
			}
			// The grants offered (discovery's grant_types_supported);
			// the library answered others each its own way.
			if gt := r.PostForm.Get("grant_type"); path == "/oauth/token" && gt != string(zoidc.GrantTypeCode) && gt != string(zoidc.GrantTypeRefreshToken) {
				writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), clientHintKey{}, hint))
		}
	case path == "/end_session":
		// The citizen's session at the provider ends with the client's,
		// when the request shows it comes from a client the citizen signed
		// in at: an id_token_hint of this session's account. Otherwise
		// (any page may send a browser here) the citizen is asked first
		// (RP-Initiated Logout 1.0 §2); once signed out, the library
		// answers as before.
		if sess, ok, err := p.eid.SessionOf(r); err == nil && ok {
			q := endSessionParams(r)
			if !p.hintOf(r, q.Get("id_token_hint"), sess.Account.ID) {
				http.Redirect(w, r, LogoutPath+"?"+q.Encode(), http.StatusSeeOther)
				return
			}
			p.eid.SignOut(w, r)
		}
		if p.errorPage != nil {
			// A request the library refuses (a return address the client
			// did not register, an ID token not its own) is told on a
			// page in the citizen's language, not in the library's JSON.
			rec := httptest.NewRecorder()
			http.StripPrefix(Prefix, p.handler).ServeHTTP(rec, r)
			if rec.Code >= http.StatusBadRequest {
				p.errorPage(w, r, problem.New(problem.Invalid, "the service's request to sign you out is not valid (an address to return to that it did not register, or an ID token that is not its own); go back to the service and tell it of the error"))
				return
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
	case path == "/userinfo":
		p.serveUserinfo(w, r)
		return
	}
	http.StripPrefix(Prefix, p.handler).ServeHTTP(&notFoundWriter{ResponseWriter: w, r: r}, r)
}

// notFoundWriter answers the library router's bare "404 page not found"
// (a path under /oidc/ that is no endpoint) with the problem document every
// other unknown address gets.
type notFoundWriter struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
}

func (w *notFoundWriter) WriteHeader(code int) {
	if code == http.StatusNotFound && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.replaced = true
		httpx.WriteProblem(w.ResponseWriter, w.r, problem.New(problem.NotFound, "there is no endpoint of the OpenID provider at this address (the discovery document lists them: %s/.well-known/openid-configuration)", Prefix))
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *notFoundWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// ErrNotThisBrowser refuses a step of a sign-in taken in another browser
// than the one that began it (Bound).
func ErrNotThisBrowser() error {
	return problem.New(problem.Forbidden, "this sign-in was begun in another browser, or has expired: go back to the service and sign in from there")
}

// notThisBrowser answers a callback outside the request's browser: the
// site's error page, or a problem document.
func (p *Provider) notThisBrowser(w http.ResponseWriter, r *http.Request) {
	if p.errorPage != nil {
		p.errorPage(w, r, ErrNotThisBrowser())
		return
	}
	httpx.WriteProblem(w, r, ErrNotThisBrowser())
}

// LogoutPath is the page that asks the citizen whether to sign out, for
// an end-session request that does not show it comes from a client they
// signed in at; its form signs out and sends the request on.
const LogoutPath = "/eid/logout"

// endSessionParams are an end-session request's parameters, from its
// query or its posted form (bounded as a pushed request is), read once:
// the library reads the form parsed here.
func endSessionParams(r *http.Request) url.Values {
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(nil, r.Body, maxPARBody)
		if err := r.ParseForm(); err == nil {
			return r.PostForm
		}
	}
	return r.URL.Query()
}

// hintOf reports whether hint, an end-session request's id_token_hint, is
// an ID token this provider signed (expired or not) for the account
// accountID: its subject, pairwise in its client's sector, the account's.
func (p *Provider) hintOf(r *http.Request, hint string, accountID int64) bool {
	if hint == "" {
		return false
	}
	claims := p.hintClaims(r.Context(), hint)
	if claims == nil {
		return false
	}
	c, err := p.clients.Get(r.Context(), claims.GetAuthorizedParty())
	if err != nil {
		return false
	}
	id, err := p.accountOf(r.Context(), c.sector(), claims.GetSubject())
	return err == nil && id == accountID
}

// hintClaims are the claims of an ID token this provider issued (its
// signature verified; expired or not, as an id_token_hint may be), or nil.
func (p *Provider) hintClaims(ctx context.Context, hint string) *zoidc.IDTokenClaims {
	ctx = op.ContextWithIssuer(ctx, p.opts.Issuer)
	claims, err := op.VerifyIDTokenHint[*zoidc.IDTokenClaims](ctx, hint, p.op.IDTokenHintVerifier(ctx))
	if err != nil && !errors.As(err, &op.IDTokenHintExpiredError{}) {
		return nil
	}
	return claims
}

// PostLogoutRegistered reports whether to is a post-logout address that
// the client registered: the client named by clientID, or else the one
// an ID token hint (verified, expired or not) was issued to. The logout
// page lets its form lead there.
func (p *Provider) PostLogoutRegistered(ctx context.Context, clientID, hint, to string) bool {
	if clientID == "" && hint != "" {
		claims := p.hintClaims(ctx, hint)
		if claims == nil {
			return false
		}
		clientID = claims.GetAuthorizedParty()
	}
	if clientID == "" {
		return false
	}
	c, err := p.clients.Get(ctx, clientID)
	return err == nil && slices.Contains(c.PostLogoutRedirectURIs(), to)
}

// beforeAuthorize expands a pushed request (request_uri), and checks what
// the library leaves through: a parameter given twice, a request_uri not
// pushed here, a response_mode other than query, a malformed PKCE
// challenge, a scope the client may not ask for (invalid_scope, naming it;
// the library would drop it silently). A scope this provider does not know
// is ignored (OpenID Connect Core §3.1.2.1). It answers itself when it
// returns false; the request it returns may carry other parameters.
func (p *Provider) beforeAuthorize(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxPARBody)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "the request cannot be read", http.StatusBadRequest)
			return r, false
		}
		q = r.Form
	}
	pushed := false
	if ru := q.Get("request_uri"); strings.HasPrefix(ru, requestURIPrefix) && len(q["request_uri"]) == 1 {
		params, err := p.takePushed(r.Context(), strings.TrimPrefix(ru, requestURIPrefix), q.Get("client_id"))
		if err != nil {
			// No redirect_uri to trust yet: the citizen is told.
			p.refusePage(w, r, "invalid_request_uri", problem.New(problem.Invalid, "this sign-in request has expired or was already used; go back to the service and sign in again"))
			return r, false
		}
		q, pushed = params, true
	}
	c, err := p.clients.Get(r.Context(), q.Get("client_id"))
	switch {
	case err != nil || len(q["client_id"]) > 1:
		p.refusePage(w, r, "invalid_request", problem.New(problem.NotFound, "the service that sent you here is not registered with the electronic identity; go back to it and try again, or tell it of the error"))
		return r, false
	case q.Get("redirect_uri") == "" || len(q["redirect_uri"]) > 1:
		p.refusePage(w, r, "invalid_request", problem.New(problem.Invalid, "the service that sent you here did not say where to send you back (its address for the answer); go back to it and tell it of the error"))
		return r, false
	case !slices.Contains(c.ClientConfig.RedirectURIs, q.Get("redirect_uri")):
		p.refusePage(w, r, "invalid_request", problem.New(problem.Invalid, "the service that sent you here asked to be answered at an address it did not register; go back to it and tell it of the error"))
		return r, false
	}
	// From here the errors go back to the client.
	code, desc, scope := checkRequest(c, q, p.opts.Issuer+parPath)
	if code != "" {
		http.Redirect(w, r, errorRedirect(q.Get("redirect_uri"), code, desc, q.Get("state"), p.opts.Issuer), http.StatusFound)
		return r, false
	}
	if q.Has("scope") && scope != q.Get("scope") {
		q.Set("scope", scope)
	} else if !pushed && r.Method == http.MethodGet {
		return r, true // as it came
	}
	// The library reads the request from the URL's query.
	r = r.Clone(r.Context())
	if pushed {
		r = r.WithContext(context.WithValue(r.Context(), pushedKey{}, true))
	}
	r.Method, r.Body, r.ContentLength = http.MethodGet, http.NoBody, 0
	r.Header.Del("Content-Type")
	r.URL.RawQuery = q.Encode()
	r.Form, r.PostForm = nil, nil
	return r, true
}

// checkRequest checks an authorization request's parameters q from client
// c for what the library lets through: a parameter given twice, a
// request_uri (one not pushed to par, the pushed requests' endpoint), a
// response_type other than code, a response_mode other than query, a
// malformed PKCE challenge, a scope c may not ask for. It returns the
// error and its description ("" if none), and the scope without the
// values this provider does not know (ignored: OpenID Connect Core
// §3.1.2.1).
func checkRequest(c *Client, q url.Values, par string) (code, desc, scope string) {
	for k, v := range q {
		if len(v) > 1 {
			return "invalid_request", "the parameter " + k + " is given more than once (RFC 6749 §3.1)", ""
		}
	}
	if q.Has("request_uri") {
		return "request_uri_not_supported", "request_uri is only that of a request pushed to " + par + " (RFC 9126)", ""
	}
	if rt := q.Get("response_type"); rt != string(zoidc.ResponseTypeCode) {
		return "unsupported_response_type", "only the authorization code flow (response_type=code) is offered", ""
	}
	if m := q.Get("response_mode"); m != "" && m != "query" {
		return "invalid_request", "response_mode " + m + " is not offered: the code is sent in the query (response_mode=query)", ""
	}
	if ch := q.Get("code_challenge"); ch != "" && !pkceChallenge(ch) {
		return "invalid_request", "code_challenge must be the 43 characters of BASE64URL(SHA256(code_verifier)) (RFC 7636 §4.2)", ""
	}
	// The library answers a malformed max_age with a bare 400, not to the
	// client (OpenID Connect Core §3.1.2.6).
	if m := q.Get("max_age"); q.Has("max_age") {
		if n, err := strconv.ParseUint(m, 10, 32); err != nil || n > math.MaxInt32 {
			return "invalid_request", "max_age must be a whole number of seconds", ""
		}
	}
	for _, v := range strings.Fields(q.Get("prompt")) {
		if !slices.Contains(PromptValues, v) {
			return "invalid_request", "prompt " + v + " is not offered (prompt_values_supported: " + strings.Join(PromptValues, ", ") + ")", ""
		}
	}
	// An OpenID provider: a request without openid would get an ID token
	// nonetheless (the library issues one for any code).
	if !slices.Contains(strings.Fields(q.Get("scope")), "openid") {
		return "invalid_scope", "the scope must include openid: this is an OpenID Connect provider", ""
	}
	var scopes []string
	for _, s := range strings.Fields(q.Get("scope")) {
		if _, known := scopeClaims[s]; !known {
			continue // not understood: ignored
		}
		if !c.IsScopeAllowed(s) {
			return "invalid_scope", "this client may not ask for the scope " + s, ""
		}
		scopes = append(scopes, s)
	}
	return "", "", strings.Join(scopes, " ")
}

// pkceChallenge reports whether ch has the form of an S256 challenge: 43
// characters of unpadded base64url (a SHA-256 digest).
func pkceChallenge(ch string) bool {
	if len(ch) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(ch)
	return err == nil
}

// refusePage answers an authorization request that cannot go back to its
// client: the site's error page in the citizen's language, or without one
// the OAuth error document.
func (p *Provider) refusePage(w http.ResponseWriter, r *http.Request, code string, err error) {
	if p.errorPage != nil {
		p.errorPage(w, r, err)
		return
	}
	writeOAuthError(w, http.StatusBadRequest, code, err.Error())
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// servePAR takes a pushed authorization request (RFC 9126) from an
// authenticated client, and answers its request_uri.
func (p *Provider) servePAR(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxPARBody)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the body must be a form of at most 16 KiB")
		return
	}
	clientID, err := p.authenticateClient(r)
	if err != nil {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	params := url.Values{}
	for k, v := range r.PostForm {
		switch k {
		case "client_secret", "client_assertion", "client_assertion_type":
		case "request_uri":
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "a pushed request may not hold a request_uri")
			return
		default:
			params[k] = v
		}
	}
	if id := params.Get("client_id"); id != "" && id != clientID {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "client_id differs from the authenticated client")
		return
	}
	params.Set("client_id", clientID)
	c, err := p.clients.Get(r.Context(), clientID)
	if err != nil || !slices.Contains(c.ClientConfig.RedirectURIs, params.Get("redirect_uri")) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the redirect_uri is not registered for this client")
		return
	}
	// Refused here as the authorization endpoint would (RFC 9126 §2.1).
	code, desc, scope := checkRequest(c, params, p.opts.Issuer+parPath)
	if code != "" {
		writeOAuthError(w, http.StatusBadRequest, code, desc)
		return
	}
	if params.Has("scope") {
		params.Set("scope", scope)
	}
	id := randomID()
	if _, err := p.db.ExecContext(r.Context(), "INSERT INTO oidc_par (id, client_id, params, expires_at) VALUES ($1, $2, $3, $4)",
		id, clientID, params.Encode(), db.FormatTime(p.now().Add(parTTL))); err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "the request could not be kept")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"request_uri": requestURIPrefix + id, "expires_in": int(parTTL / time.Second)})
}

// authenticateClient checks client_secret_basic or private_key_jwt (the
// library's verifier) and returns the client's id.
func (p *Provider) authenticateClient(r *http.Request) (string, error) {
	if r.PostForm.Get("client_assertion_type") == zoidc.ClientAssertionTypeJWTAssertion {
		assertion := r.PostForm.Get("client_assertion")
		// One audience, the issuer identifier (OpenID Connect Core §9 as
		// amended in 2025 against audience injection): an assertion
		// naming this provider beside another server could be replayed
		// by that server here.
		if tok, err := jwt.ParseSigned(assertion, assertionAlgs); err == nil {
			var c jwt.Claims
			if tok.UnsafeClaimsWithoutVerification(&c) == nil && len(c.Audience) > 1 {
				return "", fmt.Errorf("the client assertion does not verify: aud must be one value, the issuer identifier %s", p.opts.Issuer)
			}
		}
		id, err := op.ClientJWTAuth(r.Context(), zoidc.ClientAssertionParams{
			ClientAssertion: assertion, ClientAssertionType: zoidc.ClientAssertionTypeJWTAssertion,
		}, jwtProfile{p})
		if err != nil {
			return "", fmt.Errorf("the client assertion does not verify: %s", p.assertionReason(err))
		}
		if err := p.spendAssertion(r.Context(), id, assertion); err != nil {
			return "", fmt.Errorf("the client assertion does not verify: %w", err)
		}
		return id, nil
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		return "", errors.New("authenticate with client_secret_basic or private_key_jwt")
	}
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if err := (&storage{p}).AuthorizeClientIDSecret(r.Context(), id, secret); err != nil {
		return "", errors.New("wrong client credentials")
	}
	return id, nil
}

// maxAssertionLife is how far ahead a client assertion's exp may be: an
// hour, what client libraries make (zitadel's, Authlib's) and the oldest
// iat the library takes; the jti, kept until exp, is what stops a replay.
const maxAssertionLife = time.Hour

// spendAssertion takes a verified client assertion of client once: it
// must carry a jti and expire within maxAssertionLife; its jti is kept
// until then, and the same again is refused (OpenID Connect Core §9: "MUST
// only be used once"; a copy of an assertion replayed within its life
// authenticated as the client before).
func (p *Provider) spendAssertion(ctx context.Context, client, assertion string) error {
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err != nil {
		return errors.New("it is not a signed JWT")
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil { // verified above
		return errors.New("its claims do not parse")
	}
	now := p.now()
	switch {
	case c.ID == "" || len(c.ID) > 200:
		return errors.New("jti is required, at most 200 characters (an assertion is used once)")
	case c.Expiry == nil || c.Expiry.Time().After(now.Add(maxAssertionLife+30*time.Second)):
		return errors.New("exp is required and at most an hour ahead")
	}
	_, err = p.db.ExecContext(ctx, "INSERT INTO oidc_client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)",
		client, c.ID, db.FormatTime(c.Expiry.Time().Add(time.Minute)))
	if db.IsUniqueViolation(err) {
		return errors.New("jti already used (a replayed assertion)")
	}
	return err
}

// assertionAlgs are the signature algorithms of client assertions: those
// the library verifies, as the discovery document lists them.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256}

// assertionReason says why a client assertion was refused, for the client
// that sent it (its own mistake; nothing of another client's).
func (p *Provider) assertionReason(err error) string {
	switch {
	case errors.Is(err, zoidc.ErrAudience):
		return "aud must be the issuer identifier " + p.opts.Issuer
	case errors.Is(err, zoidc.ErrExpired):
		return "the assertion has expired (exp)"
	case errors.Is(err, zoidc.ErrIatMissing), errors.Is(err, zoidc.ErrIatInFuture), errors.Is(err, zoidc.ErrIatToOld):
		return "iat is missing, in the future or too old"
	case errors.Is(err, zoidc.ErrSubjectInvalid), errors.Is(err, zoidc.ErrSubjectMissing):
		return "iss and sub must both be the client's id"
	case errors.Is(err, zoidc.ErrSignatureUnsupportedAlg):
		return "the signature's algorithm must be RS256, ES256 or PS256"
	case errors.Is(err, zoidc.ErrSignatureInvalid), errors.Is(err, zoidc.ErrSignatureInvalidPayload), errors.Is(err, zoidc.ErrSignatureMissing):
		return "the signature does not verify against the client's registered keys"
	case errors.Is(err, zoidc.ErrParse):
		return "it is not a signed JWT"
	}
	return "unknown client, or a key or claim that does not match its registration"
}

// jwtProfile gives the library's JWT verifier, its audience the issuer.
type jwtProfile struct{ p *Provider }

func (j jwtProfile) JWTProfileVerifier(ctx context.Context) *op.JWTProfileVerifier {
	return j.p.op.JWTProfileVerifier(op.ContextWithIssuer(ctx, j.p.opts.Issuer))
}

// takePushed returns, once, the parameters of a pushed request of client.
func (p *Provider) takePushed(ctx context.Context, id, clientID string) (url.Values, error) {
	var params, owner string
	var exp time.Time
	err := p.db.QueryRowContext(ctx, "DELETE FROM oidc_par WHERE id = $1 RETURNING params, client_id, expires_at", id).Scan(&params, &owner, db.Time{T: &exp})
	if err != nil {
		return nil, err
	}
	if owner != clientID || !p.now().Before(exp) {
		return nil, errors.New("not this client's, or expired")
	}
	return url.ParseQuery(params)
}

// issWriter adds the iss parameter (RFC 9207) to the redirects of the
// authorization endpoint that carry a code or an error.
type issWriter struct {
	http.ResponseWriter
	iss string
}

func (w *issWriter) WriteHeader(status int) {
	if status == http.StatusFound || status == http.StatusSeeOther {
		if loc, err := url.Parse(w.Header().Get("Location")); err == nil {
			q := loc.Query()
			if (q.Has("code") || q.Has("error")) && !q.Has("iss") {
				q.Set("iss", w.iss)
				loc.RawQuery = q.Encode()
				w.Header().Set("Location", loc.String())
			}
		}
	}
	w.ResponseWriter.WriteHeader(status)
}
