package oidc

import (
	"strings"
	"sync"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// tokenCrypto is the library's AES-256-GCM encryption of access tokens
// (a compact JWE of "token id:subject"), with the outcome of each
// successful decryption remembered: a resource server introspects the same
// token on every call it receives, and parsing and opening the JWE is most
// of an introspection's cost. A decryption is a pure function of the token
// and the key, so remembering it changes no answer: whether the token is
// still active (not revoked, not expired) is decided by liveToken against
// the store's revocation epoch (live.go). Only tokens that opened are
// kept (a forged one is never remembered), at most maxTokens of them; when
// full, the whole memory is dropped and starts again.
type tokenCrypto struct {
	inner op.Crypto
	mu    sync.RWMutex
	seen  map[string]string
	max   int
}

// maxTokens bounds the remembered decryptions (about 400 bytes each).
const maxTokens = 20000

func newTokenCrypto(key [32]byte) *tokenCrypto {
	return &tokenCrypto{inner: op.NewAES256GCMCrypto(key, "1"), seen: make(map[string]string), max: maxTokens}
}

func (c *tokenCrypto) Encrypt(s string) (string, error) { return c.inner.Encrypt(s) }

func (c *tokenCrypto) Decrypt(s string) (string, error) {
	c.mu.RLock()
	plain, ok := c.seen[s]
	c.mu.RUnlock()
	if ok {
		return plain, nil
	}
	plain, err := c.inner.Decrypt(s)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if len(c.seen) >= c.max {
		clear(c.seen)
	}
	c.seen[s] = plain
	c.mu.Unlock()
	return plain, nil
}

// introspection is the answer of the introspection endpoint (RFC 7662
// §2.2) as this provider fills it: the library's type marshals its extra
// claims (acr, amr) by encoding, decoding and encoding again, which cost
// a third of an introspection.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	ACR       string   `json:"acr,omitempty"`
	AMR       []string `json:"amr,omitempty"`
}

func flatIntrospection(r *zoidc.IntrospectionResponse) introspection {
	if !r.Active {
		return introspection{}
	}
	out := introspection{Active: true, Scope: strings.Join(r.Scope, " "), ClientID: r.ClientID, TokenType: r.TokenType,
		Exp: int64(r.Expiration), Subject: r.Subject, Audience: r.Audience, AMR: r.AuthenticationMethodsReferences}
	out.ACR, _ = r.Claims["acr"].(string)
	return out
}
