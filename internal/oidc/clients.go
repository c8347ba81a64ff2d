package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// Client authentication methods.
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthPrivateKeyJWT = "private_key_jwt"
)

// Scopes a client may be allowed, and the claims each gives.
var scopeClaims = map[string][]string{
	"openid":    {"sub"},
	"profile":   {"name", "family_name", "given_name", "gender"},
	"birthdate": {"birthdate"},
	"address":   {"address"},
	"phone":     {"phone_number", "phone_number_verified"},
	"vn_pin":    {"vn_pin"},
	// offline_access asks for a refresh token.
	"offline_access": nil,
}

// ClientConfig is a relying party as registered.
type ClientConfig struct {
	ID   string `json:"client_id"`
	Name string `json:"name"`
	// AuthMethod is client_secret_basic or private_key_jwt.
	AuthMethod             string   `json:"auth_method"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	// Scopes the client may ask for; Essential those without which it
	// cannot serve the citizen (declining one denies the request).
	Scopes    []string `json:"scopes"`
	Essential []string `json:"essential_scopes,omitempty"`
	// MinLevel is the level of account the client requires (1 or 2).
	MinLevel int `json:"min_level"`
	// JWKS is the client's public key set (private_key_jwt).
	JWKS json.RawMessage `json:"jwks,omitempty"`
	// PARRequired refuses authorization requests not pushed first.
	PARRequired bool `json:"par_required"`
	// Verify entitles the client to the verification API (yes/no
	// demographic matches and predicates).
	Verify bool `json:"verify,omitempty"`
	// Purposes, when set, are the only purposes the client may give for
	// a verification (e.g. "mở tài khoản", "eKYC khoản vay"), each at
	// most 200 characters: its policy, as registered.
	Purposes []string `json:"verify_purposes,omitempty"`
	// IDTokenAlg is the algorithm of the client's ID tokens: RS256 (the
	// default) or ES256.
	IDTokenAlg string `json:"id_token_signed_response_alg,omitempty"`
	// UserinfoAlg, RS256 or ES256, makes the userinfo answer a JWT signed
	// with that algorithm (application/jwt, with iss and aud), as eSignet
	// answers; empty: plain JSON.
	UserinfoAlg string `json:"userinfo_signed_response_alg,omitempty"`
	// UserinfoEncAlg (RSA-OAEP-256 or ECDH-ES+A256KW) makes the userinfo
	// answer a nested JWT: signed (UserinfoAlg, RS256 when unset), then
	// encrypted to the client's key of its JWKS with UserinfoEnc (A256GCM
	// when unset, or A128CBC-HS256).
	UserinfoEncAlg string `json:"userinfo_encrypted_response_alg,omitempty"`
	UserinfoEnc    string `json:"userinfo_encrypted_response_enc,omitempty"`
	// IDTokenEncAlg and IDTokenEnc encrypt the client's ID tokens alike.
	IDTokenEncAlg string `json:"id_token_encrypted_response_alg,omitempty"`
	IDTokenEnc    string `json:"id_token_encrypted_response_enc,omitempty"`
	// Sector is the sector identifier the pairwise subjects are computed
	// for: clients of one sector see one subject per person (default: the
	// host of the first redirect URI).
	Sector string `json:"sector_identifier"`
}

// Client is a registered relying party as the provider sees it.
type Client struct {
	ClientConfig
	secretHash string
	disabled   bool
	keys       jose.JSONWebKeySet
}

var _ op.Client = (*Client)(nil)

func (c *Client) GetID() string                       { return c.ID }
func (c *Client) RedirectURIs() []string              { return c.ClientConfig.RedirectURIs }
func (c *Client) PostLogoutRedirectURIs() []string    { return c.ClientConfig.PostLogoutRedirectURIs }
func (c *Client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *Client) AuthMethod() zoidc.AuthMethod {
	if c.ClientConfig.AuthMethod == AuthPrivateKeyJWT {
		return zoidc.AuthMethodPrivateKeyJWT
	}
	return zoidc.AuthMethodBasic
}
func (c *Client) ResponseTypes() []zoidc.ResponseType {
	return []zoidc.ResponseType{zoidc.ResponseTypeCode}
}
func (c *Client) GrantTypes() []zoidc.GrantType {
	return []zoidc.GrantType{zoidc.GrantTypeCode, zoidc.GrantTypeRefreshToken}
}
func (c *Client) LoginURL(id string) string            { return loginPath + "?id=" + url.QueryEscape(id) }
func (c *Client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *Client) IDTokenLifetime() time.Duration       { return 10 * time.Minute }
func (c *Client) DevMode() bool                        { return false }
func (c *Client) ClockSkew() time.Duration             { return 0 }
func (c *Client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *Client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *Client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed reports whether the client may ask for scope.
func (c *Client) IsScopeAllowed(scope string) bool { return slices.Contains(c.Scopes, scope) }

// sector is the sector identifier of the pairwise subjects.
func (c *Client) sector() string {
	if c.Sector != "" {
		return c.Sector
	}
	if len(c.ClientConfig.RedirectURIs) > 0 {
		if u, err := url.Parse(c.ClientConfig.RedirectURIs[0]); err == nil {
			return u.Host
		}
	}
	return c.ID
}

// check validates a configuration, naming the wrong fields.
func (cfg *ClientConfig) check() error {
	var f problem.Fields
	if cfg.ID == "" || len(cfg.ID) > 64 || strings.ContainsFunc(cfg.ID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		f.Add("client_id", "must be 1 to 64 characters: lower-case letters, digits, '.', '-' or '_'")
	}
	if n := len(strings.TrimSpace(cfg.Name)); n == 0 || n > 200 {
		f.Add("name", "is required, at most 200 characters")
	}
	switch cfg.AuthMethod {
	case AuthSecretBasic:
	case AuthPrivateKeyJWT:
		var ks jose.JSONWebKeySet
		if len(cfg.JWKS) == 0 || json.Unmarshal(cfg.JWKS, &ks) != nil || len(ks.Keys) == 0 {
			f.Add("jwks", "is required for private_key_jwt: a JSON Web Key Set of the client's public keys")
		} else {
			for _, k := range ks.Keys {
				if !k.IsPublic() || k.KeyID == "" {
					f.Add("jwks", "must hold public keys only, each with a kid")
					break
				}
			}
		}
	default:
		f.Add("auth_method", "must be %s or %s", AuthSecretBasic, AuthPrivateKeyJWT)
	}
	if len(cfg.RedirectURIs) == 0 {
		f.Add("redirect_uris", "needs at least one")
	}
	for _, list := range [][]string{cfg.RedirectURIs, cfg.PostLogoutRedirectURIs} {
		for _, u := range list {
			p, err := url.Parse(u)
			if err != nil || p.Fragment != "" || p.Host == "" || (p.Scheme != "https" && !(p.Scheme == "http" && isLoopback(p.Hostname()))) {
				f.Add("redirect_uris", "%q must be an absolute https URL without fragment (http only on a loopback address)", u)
			}
		}
	}
	if !slices.Contains(cfg.Scopes, "openid") {
		f.Add("scopes", "must include openid")
	}
	for _, s := range cfg.Scopes {
		if _, ok := scopeClaims[s]; !ok {
			f.Add("scopes", "%q is not a scope of this provider", s)
		}
	}
	for _, s := range cfg.Essential {
		if !slices.Contains(cfg.Scopes, s) {
			f.Add("essential_scopes", "%q is not among the client's scopes", s)
		}
	}
	if cfg.IDTokenAlg != "" && cfg.IDTokenAlg != "RS256" && cfg.IDTokenAlg != "ES256" {
		f.Add("id_token_signed_response_alg", "must be RS256 or ES256")
	}
	for _, pu := range cfg.Purposes {
		if n := len(strings.TrimSpace(pu)); n == 0 || n > 200 || pu != strings.TrimSpace(pu) {
			f.Add("verify_purposes", "each purpose is 1 to 200 characters, without surrounding spaces")
			break
		}
	}
	if len(cfg.Purposes) > 0 && !cfg.Verify {
		f.Add("verify_purposes", "are for a client entitled to verification (verify)")
	}
	if cfg.UserinfoAlg != "" && cfg.UserinfoAlg != "RS256" && cfg.UserinfoAlg != "ES256" {
		f.Add("userinfo_signed_response_alg", "must be RS256 or ES256")
	}
	if cfg.AuthMethod != AuthPrivateKeyJWT && len(cfg.JWKS) > 0 {
		var ks jose.JSONWebKeySet
		if json.Unmarshal(cfg.JWKS, &ks) != nil || len(ks.Keys) == 0 {
			f.Add("jwks", "is not a JSON Web Key Set")
		} else if slices.ContainsFunc(ks.Keys, func(k jose.JSONWebKey) bool { return !k.IsPublic() || k.KeyID == "" }) {
			f.Add("jwks", "must hold public keys only, each with a kid")
		}
	}
	checkEncryption(&f, cfg)
	if cfg.MinLevel == 0 {
		cfg.MinLevel = 1
	}
	if cfg.MinLevel != 1 && cfg.MinLevel != 2 {
		f.Add("min_level", "must be 1 or 2")
	}
	return f.Err()
}

func isLoopback(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

// NewClients returns the registry over d (the CLI uses it without the
// provider).
func NewClients(d *db.DB) *Clients { return &Clients{db: d, now: time.Now} }

// Clients is the registry of relying parties. Clients read are kept for
// clientCacheTTL: every token request needs its client several times. A
// change made on this instance drops the cache at once; one made on
// another instance (or with the CLI) holds here within clientCacheTTL.
type Clients struct {
	db  *db.DB
	now func() time.Time
	// revoked, when set, is told that tokens were revoked (the
	// provider's memory of live tokens reads the epoch again).
	revoked func()

	mu    sync.Mutex
	cache map[string]cachedClient
}

type cachedClient struct {
	c    *Client
	read time.Time
}

const (
	clientCacheTTL = 10 * time.Second
	clientCacheMax = 10000
)

func (cs *Clients) forget() {
	cs.mu.Lock()
	cs.cache = nil
	cs.mu.Unlock()
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Register adds a client and returns its secret (client_secret_basic; ""
// for private_key_jwt), shown once: the store keeps its SHA-256 (the
// secret is 32 random bytes, not a password).
func (cs *Clients) Register(ctx context.Context, cfg ClientConfig) (string, error) {
	if err := cfg.check(); err != nil {
		return "", err
	}
	secret := ""
	if cfg.AuthMethod == AuthSecretBasic {
		b := make([]byte, 32)
		rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
	}
	conf, _ := json.Marshal(cfg)
	now := db.FormatTime(cs.now())
	defer cs.forget()
	err := cs.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO oidc_clients (id, name, secret_hash, auth_method, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
			cfg.ID, cfg.Name, hashSecret(secret), cfg.AuthMethod, string(conf), now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO oidc_client_versions (client_id, version, config, created_at) VALUES ($1, 1, $2, $3)", cfg.ID, string(conf), now)
		return err
	})
	if db.IsUniqueViolation(err) {
		return "", problem.Field("client_id", "%s is already registered", cfg.ID)
	}
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Update replaces the registration of an enabled client with cfg (same
// id), keeping the former one as a version, and returns the new version
// and, when the client moves to client_secret_basic from
// private_key_jwt, its new secret (shown once; "" otherwise: the secret
// is kept).
func (cs *Clients) Update(ctx context.Context, cfg ClientConfig) (int, string, error) {
	if err := cfg.check(); err != nil {
		return 0, "", err
	}
	conf, _ := json.Marshal(cfg)
	now := db.FormatTime(cs.now())
	defer cs.forget()
	var version int
	secret := ""
	err := cs.db.InTx(ctx, func(tx *sql.Tx) error {
		var method string
		err := tx.QueryRowContext(ctx, "SELECT version, auth_method FROM oidc_clients WHERE id = $1 AND disabled = 0", cfg.ID).Scan(&version, &method)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "no client %s", cfg.ID)
		}
		if err != nil {
			return err
		}
		version++
		if cfg.AuthMethod == AuthSecretBasic && method != AuthSecretBasic {
			b := make([]byte, 32)
			rand.Read(b)
			secret = base64.RawURLEncoding.EncodeToString(b)
			if _, err := tx.ExecContext(ctx, "UPDATE oidc_clients SET secret_hash = $2 WHERE id = $1", cfg.ID, hashSecret(secret)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE oidc_clients SET name = $2, auth_method = $3, config = $4, version = $5, updated_at = $6 WHERE id = $1",
			cfg.ID, cfg.Name, cfg.AuthMethod, string(conf), version, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO oidc_client_versions (client_id, version, config, created_at) VALUES ($1, $2, $3, $4)", cfg.ID, version, string(conf), now)
		return err
	})
	if err != nil {
		return 0, "", err
	}
	return version, secret, nil
}

// Versions returns the registrations a client had, oldest first.
func (cs *Clients) Versions(ctx context.Context, id string) ([]ClientConfig, error) {
	rows, err := cs.db.QueryContext(ctx, "SELECT config FROM oidc_client_versions WHERE client_id = $1 ORDER BY version", id)
	return db.Collect(rows, err, scanConfig)
}

// Replace registers cfg anew, dropping any client of the same id (the
// demo's bank, registered at every start), and returns its new secret.
func (cs *Clients) Replace(ctx context.Context, cfg ClientConfig) (string, error) {
	defer cs.forget()
	for _, q := range []string{"DELETE FROM oidc_clients WHERE id = $1", "DELETE FROM oidc_client_versions WHERE client_id = $1"} {
		if _, err := cs.db.ExecContext(ctx, q, cfg.ID); err != nil {
			return "", err
		}
	}
	return cs.Register(ctx, cfg)
}

var errNoClient = errors.New("oidc: no such client")

// Get returns the client id (errNoClient if none, or disabled).
func (cs *Clients) Get(ctx context.Context, id string) (*Client, error) {
	now := cs.now()
	cs.mu.Lock()
	e, ok := cs.cache[id]
	cs.mu.Unlock()
	if ok && now.Sub(e.read) < clientCacheTTL && !now.Before(e.read) {
		return e.c, nil
	}
	c, err := cs.read(ctx, id)
	if err != nil {
		return nil, err
	}
	cs.mu.Lock()
	if cs.cache == nil || len(cs.cache) >= clientCacheMax {
		cs.cache = map[string]cachedClient{}
	}
	cs.cache[id] = cachedClient{c, now}
	cs.mu.Unlock()
	return c, nil
}

func (cs *Clients) read(ctx context.Context, id string) (*Client, error) {
	st, err := cs.db.Prepared(ctx, "SELECT config, secret_hash, disabled FROM oidc_clients WHERE id = $1")
	if err != nil {
		return nil, err
	}
	var conf string
	c := &Client{}
	var disabled int
	err = st.QueryRowContext(ctx, id).Scan(&conf, &c.secretHash, &disabled)
	if errors.Is(err, sql.ErrNoRows) || disabled != 0 {
		return nil, errNoClient
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(conf), &c.ClientConfig); err != nil {
		return nil, fmt.Errorf("client %s: %w", id, err)
	}
	if len(c.JWKS) > 0 {
		if err := json.Unmarshal(c.JWKS, &c.keys); err != nil {
			return nil, fmt.Errorf("client %s: jwks: %w", id, err)
		}
	}
	return c, nil
}

// checkSecret reports whether secret is the client's.
func (c *Client) checkSecret(secret string) bool {
	return c.ClientConfig.AuthMethod == AuthSecretBasic && secret != "" &&
		subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(c.secretHash)) == 1
}

// scanConfig reads a registration stored as JSON.
func scanConfig(sc db.Scanner) (ClientConfig, error) {
	var conf string
	var c ClientConfig
	if err := sc.Scan(&conf); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(conf), &c)
}

// List returns every client, by id.
func (cs *Clients) List(ctx context.Context) ([]ClientConfig, error) {
	rows, err := cs.db.QueryContext(ctx, "SELECT config FROM oidc_clients WHERE disabled = 0 ORDER BY id")
	return db.Collect(rows, err, scanConfig)
}

// Disable withdraws a client: it can no longer sign anyone in, and its
// tokens stop working.
func (cs *Clients) Disable(ctx context.Context, id string) error {
	defer cs.forget()
	// One transaction: a client is never left disabled with its tokens
	// still working.
	err := cs.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE oidc_clients SET disabled = 1, updated_at = $2 WHERE id = $1 AND disabled = 0", id, db.FormatTime(cs.now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.New(problem.NotFound, "no client %s", id)
		}
		_, err = tx.ExecContext(ctx, "UPDATE oidc_tokens SET revoked = 1 WHERE client_id = $1", id)
		return err
	})
	if cs.revoked != nil {
		cs.revoked()
	}
	return err
}
