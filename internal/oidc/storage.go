package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/identity"
)

// Lifetimes.
const (
	authRequestTTL  = 10 * time.Minute
	accessTokenTTL  = 10 * time.Minute
	refreshTokenTTL = 30 * 24 * time.Hour
)

// authRequest is an authorization request in progress, and once the
// citizen signed in and consented, what the code stands for.
type authRequest struct {
	ID        string
	Req       zoidc.AuthRequest
	AccountID int64
	Subject   string
	ACR       string
	AMR       []string // how the citizen signed in (RFC 8176)
	AuthTime  time.Time
	Granted   []string // scopes the citizen consented to
	IsDone    bool
	expires   time.Time // of the request, and of its code
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string                       { return a.ID }
func (a *authRequest) GetACR() string                      { return a.ACR }
func (a *authRequest) GetAMR() []string                    { return a.AMR }
func (a *authRequest) GetAudience() []string               { return []string{a.Req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time              { return a.AuthTime }
func (a *authRequest) GetClientID() string                 { return a.Req.ClientID }
func (a *authRequest) GetNonce() string                    { return a.Req.Nonce }
func (a *authRequest) GetRedirectURI() string              { return a.Req.RedirectURI }
func (a *authRequest) GetState() string                    { return a.Req.State }
func (a *authRequest) GetSubject() string                  { return a.Subject }
func (a *authRequest) Done() bool                          { return a.IsDone }
func (a *authRequest) GetResponseType() zoidc.ResponseType { return a.Req.ResponseType }
func (a *authRequest) GetResponseMode() zoidc.ResponseMode { return a.Req.ResponseMode }
func (a *authRequest) GetCodeChallenge() *zoidc.CodeChallenge {
	if a.Req.CodeChallenge == "" {
		return nil
	}
	return &zoidc.CodeChallenge{Challenge: a.Req.CodeChallenge, Method: a.Req.CodeChallengeMethod}
}
func (a *authRequest) GetScopes() []string {
	if a.IsDone {
		return a.Granted
	}
	return a.Req.Scopes
}

// grant is what a token stands for (an access or refresh token), and the
// request of a refresh (op.RefreshTokenRequest, and op.AuthRequest so that
// the refreshed ID token keeps its acr).
type grant struct {
	ID        string
	Family    string
	ClientID  string
	Subject   string
	AccountID int64
	Scopes    []string
	ACR       string
	AMR       []string
	AuthTime  time.Time
	ExpiresAt time.Time
}

func (g *grant) GetAMR() []string                       { return g.AMR }
func (g *grant) GetAudience() []string                  { return []string{g.ClientID} }
func (g *grant) GetAuthTime() time.Time                 { return g.AuthTime }
func (g *grant) GetClientID() string                    { return g.ClientID }
func (g *grant) GetScopes() []string                    { return g.Scopes }
func (g *grant) GetSubject() string                     { return g.Subject }
func (g *grant) SetCurrentScopes(s []string)            { g.Scopes = narrowed(g.Scopes, s) }
func (g *grant) GetACR() string                         { return g.ACR }
func (g *grant) GetID() string                          { return g.ID }
func (g *grant) GetCodeChallenge() *zoidc.CodeChallenge { return nil }
func (g *grant) GetNonce() string                       { return "" }
func (g *grant) GetRedirectURI() string                 { return "" }
func (g *grant) GetResponseType() zoidc.ResponseType    { return zoidc.ResponseTypeCode }
func (g *grant) GetResponseMode() zoidc.ResponseMode    { return "" }
func (g *grant) GetState() string                       { return "" }
func (g *grant) Done() bool                             { return true }

// narrowed is a refresh's scopes (SetCurrentScopes): those asked, with
// offline_access where the grant holds it: a refresh that asked for less
// without it would get an access token only, its refresh token not spent
// (the library spends and rotates only when it issues a new one), and the
// token would refresh again and again, out of reach of the reuse check
// (RFC 9700 §4.14.2; found by an independent client's probe).
func narrowed(granted, asked []string) []string {
	if slices.Contains(granted, "offline_access") && !slices.Contains(asked, "offline_access") {
		return append(slices.Clip(asked), "offline_access")
	}
	return asked
}

func randomID() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

type pushedKey struct{}

// storage is the provider's op.Storage over the store.
type storage struct {
	p *Provider
}

var _ op.Storage = (*storage)(nil)

func (s *storage) db() *db.DB { return s.p.db }

// CreateAuthRequest keeps a validated authorization request. PKCE with
// S256 is required of every client, and PAR of the clients registered so.
func (s *storage) CreateAuthRequest(ctx context.Context, req *zoidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if req.CodeChallenge == "" || req.CodeChallengeMethod != zoidc.CodeChallengeMethodS256 {
		return nil, zoidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256")
	}
	c, err := s.p.clients.Get(ctx, req.ClientID)
	if err != nil {
		return nil, zoidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if c.PARRequired && ctx.Value(pushedKey{}) == nil {
		return nil, zoidc.ErrInvalidRequest().WithDescription("this client must push its authorization requests first (PAR, RFC 9126)")
	}
	a := &authRequest{ID: randomID(), Req: *req}
	b, _ := json.Marshal(req)
	now := s.p.now()
	_, err = s.db().ExecContext(ctx, "INSERT INTO oidc_auth_requests (id, client_id, request, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
		a.ID, req.ClientID, string(b), db.FormatTime(now), db.FormatTime(now.Add(authRequestTTL)))
	return a, err
}

const authRequestColumns = "id, request, account_id, subject, acr, amr, auth_time, scopes, done"

func scanAuthRequest(sc db.Scanner, extra ...any) (*authRequest, error) {
	a := &authRequest{}
	var req, amr, authTime, scopes string
	var done int
	if err := sc.Scan(append([]any{&a.ID, &req, &a.AccountID, &a.Subject, &a.ACR, &amr, &authTime, &scopes, &done}, extra...)...); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(req), &a.Req); err != nil {
		return nil, err
	}
	if authTime != "" {
		a.AuthTime, _ = db.ParseTime(authTime)
	}
	a.Granted, a.AMR = strings.Fields(scopes), strings.Fields(amr)
	a.IsDone = done != 0
	return a, nil
}

var errNoRequest = errors.New("oidc: no such authorization request, or it expired")

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	return s.p.authRequest(ctx, id)
}

// AuthRequestByCode returns the request of a code and spends the code: a
// code is used once (one statement spends it and reads the request, so
// that of two concurrent exchanges one alone finds it). A code used again
// revokes the tokens issued with it (RFC 6749 §4.1.2).
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	h := sha(code)
	// Spent: done 2, the code's hash kept. Only the row changes, not the
	// index on code_hash (which changing the hash rewrote twice a code).
	st, err := s.db().Prepared(ctx, "UPDATE oidc_auth_requests SET done = 2 WHERE code_hash = $1 AND done = 1 RETURNING "+authRequestColumns+", expires_at")
	if err != nil {
		return nil, err
	}
	var exp time.Time
	var a *authRequest
	err = s.db().Write(ctx, func() (err error) {
		a, err = scanAuthRequest(st.QueryRowContext(ctx, h), db.Time{T: &exp})
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		if n := s.p.revokeFamilyOfCode(ctx, h); n >= 0 {
			return nil, fmt.Errorf("the code was already used: the %d tokens issued with it are revoked", n)
		}
		return nil, errNoRequest
	}
	if err != nil {
		return nil, err
	}
	a.expires = exp
	if !s.p.now().Before(a.expires) {
		return nil, errors.New("the code expired")
	}
	return a, nil
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.db().Write(ctx, func() error {
		_, err := s.db().ExecContext(ctx, "UPDATE oidc_auth_requests SET code_hash = $2 WHERE id = $1 AND code_hash = ''", id, sha(code))
		return err
	})
}

// DeleteAuthRequest is called once the code is exchanged: the request is
// kept, its code spent, so that a second use of the code is recognised
// and revokes the tokens (AuthRequestByCode); Purge deletes it once
// expired.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

// grantOf is what a token request stands for.
func (s *storage) grantOf(request op.TokenRequest) (*grant, error) {
	switch r := request.(type) {
	case *authRequest:
		return &grant{Family: r.ID, ClientID: r.Req.ClientID, Subject: r.Subject, AccountID: r.AccountID, Scopes: r.Granted, ACR: r.ACR, AMR: r.AMR, AuthTime: r.AuthTime}, nil
	case *grant:
		g := *r
		return &g, nil
	}
	return nil, fmt.Errorf("oidc: token request of type %T", request)
}

const insertTokenSQL = `INSERT INTO oidc_tokens (id, kind, family, client_id, subject, account_id, scopes, acr, amr, auth_time, created_at, expires_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

// insertToken stores a token, in tx, or alone when tx is nil.
func (s *storage) insertToken(ctx context.Context, tx *sql.Tx, kind, id string, g *grant, now, exp time.Time) error {
	args := []any{id, kind, g.Family, g.ClientID, g.Subject, g.AccountID, strings.Join(g.Scopes, " "), g.ACR, strings.Join(g.AMR, " "), db.FormatTime(g.AuthTime), db.FormatTime(now), db.FormatTime(exp)}
	if tx != nil {
		_, err := tx.ExecContext(ctx, insertTokenSQL, args...)
		return err
	}
	st, err := s.db().Prepared(ctx, insertTokenSQL)
	if err != nil {
		return err
	}
	return s.db().Write(ctx, func() error {
		_, err := st.ExecContext(ctx, args...)
		return err
	})
}

func (s *storage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	g, err := s.grantOf(request)
	if err != nil {
		return "", time.Time{}, err
	}
	id, now := randomID(), s.p.now()
	exp := now.Add(accessTokenTTL)
	return id, exp, s.insertToken(ctx, nil, "access", id, g, now, exp)
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token.
// A refresh rotates: the refresh token used is spent, the new one is of
// the same family.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	g, err := s.grantOf(request)
	if err != nil {
		return "", "", time.Time{}, err
	}
	id, refresh, now := randomID(), randomID(), s.p.now()
	exp := now.Add(accessTokenTTL)
	err = s.db().InTx(ctx, func(tx *sql.Tx) error {
		if current != "" {
			res, err := tx.ExecContext(ctx, "UPDATE oidc_tokens SET used_at = $2 WHERE id = $1 AND kind = 'refresh' AND used_at = '' AND revoked = 0", sha(current), db.FormatTime(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				// Spent by a refresh that ran at the same time: invalid_grant
				// (the library answers its own error here as a server error,
				// which relying parties retry).
				return zoidc.ErrInvalidGrant().WithDescription("the refresh token was used already")
			}
		}
		if err := s.insertToken(ctx, tx, "access", id, g, now, exp); err != nil {
			return err
		}
		return s.insertToken(ctx, tx, "refresh", sha(refresh), g, now, now.Add(refreshTokenTTL))
	})
	if err != nil {
		return "", "", time.Time{}, err
	}
	return id, refresh, exp, nil
}

const grantColumns = "id, family, client_id, subject, account_id, scopes, acr, amr, auth_time, expires_at, used_at, revoked"

// token reads a token by id (an access token's id, a refresh token's
// hash); used and revoked say whether it was spent or revoked.
func (p *Provider) token(ctx context.Context, id, kind string) (g *grant, used, revoked bool, err error) {
	st, err := p.db.Prepared(ctx, "SELECT "+grantColumns+" FROM oidc_tokens WHERE id = $1 AND kind = $2")
	if err != nil {
		return nil, false, false, err
	}
	g = &grant{}
	var scopes, amr, authTime, usedAt string
	var rev int
	err = st.QueryRowContext(ctx, id, kind).Scan(&g.ID, &g.Family, &g.ClientID, &g.Subject, &g.AccountID, &scopes, &g.ACR, &amr, &authTime, db.Time{T: &g.ExpiresAt}, &usedAt, &rev)
	if err != nil {
		return nil, false, false, err
	}
	g.Scopes, g.AMR = strings.Fields(scopes), strings.Fields(amr)
	g.AuthTime, _ = db.ParseTime(authTime)
	return g, usedAt != "", rev != 0, nil
}

// TokenRequestByRefreshToken returns what a refresh token stands for. A
// refresh token used twice was stolen from one of its users: the whole
// family (every token issued since the sign-in) is revoked.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, refresh string) (op.RefreshTokenRequest, error) {
	g, used, revoked, err := s.p.token(ctx, sha(refresh), "refresh")
	if errors.Is(err, sql.ErrNoRows) {
		return nil, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, err
	}
	if used {
		n, err := s.p.revokeFamily(ctx, g.Family)
		if err != nil {
			return nil, err
		}
		s.p.record(ctx, audit.OfActor("client:"+g.ClientID, ActionReuse, g.Subject).Refused(fmt.Sprintf("refresh token reused: family of %d tokens revoked", n)))
		return nil, op.ErrInvalidRefreshToken
	}
	if revoked || !s.p.now().Before(g.ExpiresAt) {
		return nil, op.ErrInvalidRefreshToken
	}
	// An account not active (locked, revoked, being recovered) refreshes
	// nothing, and the token is not spent.
	if a, err := s.p.eid.AccountByID(ctx, g.AccountID); err != nil || a.State != identity.StateActive {
		return nil, op.ErrInvalidRefreshToken
	}
	return g, nil
}

// revokeFamily revokes every token of a family, returning how many.
func (p *Provider) revokeFamily(ctx context.Context, family string) (int64, error) {
	res, err := p.db.ExecContext(ctx, "UPDATE oidc_tokens SET revoked = 1 WHERE family = $1", family)
	p.live.Invalidate()
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// revokeFamilyOfCode revokes the tokens issued with a spent code, returning
// how many, or -1 when the code was never issued.
func (p *Provider) revokeFamilyOfCode(ctx context.Context, codeHash string) int64 {
	var id string
	// A code spent before done 2 was its mark has the hash "used:…".
	if err := p.db.QueryRowContext(ctx, "SELECT id FROM oidc_auth_requests WHERE (code_hash = $1 AND done = 2) OR code_hash = $2", codeHash, "used:"+codeHash).Scan(&id); err != nil {
		return -1
	}
	n, err := p.revokeFamily(ctx, id)
	if err != nil {
		slog.ErrorContext(ctx, "tokens of a reused code not revoked", "err", err)
	}
	return n
}

func (s *storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	_, err := s.db().ExecContext(ctx, "UPDATE oidc_tokens SET revoked = 1 WHERE subject = $1 AND client_id = $2", userID, clientID)
	s.p.live.Invalidate()
	return err
}

// RevokeToken revokes an access token (by id) or a refresh token (with its
// family) of clientID.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *zoidc.Error {
	for _, k := range []struct{ id, kind string }{{tokenOrID, "access"}, {sha(tokenOrID), "refresh"}, {tokenOrID, "refresh"}} {
		g, _, _, err := s.p.token(ctx, k.id, k.kind)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return zoidc.ErrServerError().WithParent(err)
		}
		if g.ClientID != clientID {
			// Refused (RFC 7009 §2.1), as a bad request: the client's own
			// credentials are right (invalid_client would say otherwise).
			return zoidc.ErrInvalidRequest().WithDescription("the token was not issued to this client")
		}
		q, arg := "UPDATE oidc_tokens SET revoked = 1 WHERE id = $1", k.id
		if k.kind == "refresh" {
			q, arg = "UPDATE oidc_tokens SET revoked = 1 WHERE family = $1", g.Family
		}
		_, err = s.db().ExecContext(ctx, q, arg)
		s.p.live.Invalidate()
		if err != nil {
			return zoidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	return nil // RFC 7009: an unknown token is answered as revoked
}

func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	g, _, _, err := s.p.token(ctx, sha(token), "refresh")
	if err != nil || g.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return g.Subject, g.ID, nil
}

type clientHintKey struct{}

// SigningKey is the RS256 key, or the ES256 one for a client registered
// with id_token_signed_response_alg ES256 (the token endpoint puts the
// client it was called by into the context; the hint only chooses the
// algorithm, the client is authenticated before any token is made).
func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	alg := jose.RS256
	if id, ok := ctx.Value(clientHintKey{}).(string); ok {
		if c, err := s.p.clients.Get(ctx, id); err == nil && c.IDTokenAlg == string(jose.ES256) {
			alg = jose.ES256
		}
	}
	return s.p.keys.active(ctx, alg)
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return algorithms, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.p.keys.published(ctx) }

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.clients.Get(ctx, id)
	if errors.Is(err, errNoClient) {
		// An OAuth error, which the library answers as the caller's
		// mistake, not as a server error.
		return nil, zoidc.ErrInvalidClient().WithDescription("unknown client_id")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.p.clients.Get(ctx, id)
	if err != nil || !c.checkSecret(secret) {
		return zoidc.ErrInvalidClient().WithDescription("wrong client credentials")
	}
	return nil
}

// SetUserinfoFromScopes would fill the ID token with the person's claims:
// it gives the subject alone. The code flow always issues an access token, so the
// claims are answered at userinfo (OpenID Connect Core §5.4), read and
// audited when the client asks for them; the ID token says who signed in
// and how (sub, acr, amr, auth_time), no more. An ID token travels further
// than an access token: as id_token_hint in logout URLs, which browsers'
// histories and proxies' logs keep.
func (s *storage) SetUserinfoFromScopes(_ context.Context, info *zoidc.UserInfo, subject, _ string, _ []string) error {
	info.Subject = subject
	return nil
}

// SetUserinfoFromToken fills the userinfo answer of an access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *zoidc.UserInfo, tokenID, _, _ string) error {
	holder, _ := ctx.Value(userinfoClientKey{}).(*userinfoCall)
	g, err := s.p.liveToken(ctx, tokenID)
	if err != nil {
		if errors.Is(err, errInactiveToken) {
			if holder != nil {
				holder.inactive = true
			}
			// A stopped token is the caller's matter, not the server's:
			// no server_error (which the library logs as an error).
			return zoidc.ErrAccessDenied().WithDescription("the access token is not active").WithParent(err)
		}
		return err
	}
	c, err := s.p.clients.Get(ctx, g.ClientID)
	if err != nil {
		return err
	}
	if holder != nil {
		holder.client = c.ID
	}
	err = s.p.fillClaims(ctx, info, c, g.Subject, g.AccountID, g.Scopes)
	if errors.Is(err, errAccountInactive) {
		if holder != nil {
			holder.inactive = true
		}
		return zoidc.ErrAccessDenied().WithDescription("the access token is not active").WithParent(err)
	}
	return err
}

// errInactiveToken is liveToken's refusal of an access token.
var errInactiveToken = errors.New("the access token is not active")

// liveToken is an access token neither expired nor revoked: remembered
// (liveTokens) while no token has been revoked since it was read.
func (p *Provider) liveToken(ctx context.Context, id string) (*grant, error) {
	now := p.now()
	epoch, err := p.live.Current(ctx, p.db, now)
	if err != nil {
		return nil, err
	}
	if g, ok := p.live.Get(id, epoch); ok {
		if !now.Before(g.ExpiresAt) {
			return nil, errInactiveToken
		}
		return &g, nil
	}
	g, _, revoked, err := p.token(ctx, id, "access")
	if err != nil || revoked || !now.Before(g.ExpiresAt) {
		return nil, errInactiveToken
	}
	p.live.Put(id, *g, epoch)
	return g, nil
}

// SetIntrospectionFromToken answers introspection: active or not, and
// what the token is for; no personal claim beyond the pairwise subject.
// A client learns only of its own tokens.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *zoidc.IntrospectionResponse, tokenID, _, clientID string) error {
	g, err := s.p.liveToken(ctx, tokenID)
	if err != nil || g.ClientID != clientID {
		return errors.New("inactive")
	}
	resp.Active = true
	resp.Scope = zoidc.SpaceDelimitedArray(g.Scopes)
	resp.ClientID = g.ClientID
	resp.Subject = g.Subject
	resp.Audience = zoidc.Audience{g.ClientID}
	resp.Expiration = zoidc.FromTime(g.ExpiresAt)
	resp.TokenType = zoidc.BearerToken
	resp.AuthenticationMethodsReferences = g.AMR
	resp.Claims = map[string]any{"acr": g.ACR}
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	c, err := s.p.clients.Get(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if c.ClientConfig.AuthMethod != AuthPrivateKeyJWT {
		return nil, errors.New("the client does not authenticate with private_key_jwt")
	}
	ks := c.keys.Key(keyID)
	if len(ks) == 0 {
		return nil, fmt.Errorf("the client has no key %q", keyID)
	}
	return &ks[0], nil
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not offered")
}

func (s *storage) Health(ctx context.Context) error { return s.db().PingContext(ctx) }

var _ = slices.Contains[[]string]
