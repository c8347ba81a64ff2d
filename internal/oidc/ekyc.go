package oidc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/problem"
)

// ActionEKYC is the audit action of an e-KYC record issued to a client.
const ActionEKYC = "oidc.ekyc"

// ekycTTL is the validity of an e-KYC record.
const ekycTTL = 5 * time.Minute

// EKYC returns, for a live access token, a JWT signed by the provider of
// the attributes its client's policy allows and the citizen consented to
// (the token's scopes): the record a bank keeps as proof of its customer
// check. It carries iss, aud (the client), the pairwise sub, acr, iat,
// exp and a transaction id (txn), recorded in the audit log.
func (p *Provider) EKYC(ctx context.Context, accessToken string) (string, error) {
	plain, err := p.op.Crypto().Decrypt(accessToken)
	id, _, ok := strings.Cut(plain, ":")
	if err != nil || !ok {
		return "", problem.New(problem.Unauthorized, "the access token is not valid")
	}
	g, err := p.liveToken(ctx, id)
	if err != nil {
		return "", problem.New(problem.Unauthorized, "the access token is not active")
	}
	c, err := p.clients.Get(ctx, g.ClientID)
	if err != nil {
		return "", problem.New(problem.Unauthorized, "the access token's client is withdrawn")
	}
	info := &zoidc.UserInfo{}
	if err := p.fillClaims(ctx, info, c, g.Subject, g.AccountID, g.Scopes); errors.Is(err, errAccountInactive) {
		return "", problem.New(problem.Unauthorized, "the access token is not active")
	} else if err != nil {
		return "", err
	}
	alg := jose.RS256
	if c.IDTokenAlg == string(jose.ES256) {
		alg = jose.ES256
	}
	key, err := p.keys.active(ctx, alg)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key.priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), key.id))
	if err != nil {
		return "", err
	}
	txn := make([]byte, 12)
	rand.Read(txn)
	now := p.now()
	std := jwt.Claims{Issuer: p.opts.Issuer, Subject: g.Subject, Audience: jwt.Audience{c.ID},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ekycTTL))}
	extra := map[string]any{"acr": g.ACR, "txn": hex.EncodeToString(txn), "scope": strings.Join(g.Scopes, " ")}
	raw, err := jwt.Signed(signer).Claims(std).Claims(info).Claims(extra).Serialize()
	if err != nil {
		return "", err
	}
	// A disclosure is a read: not answered unless recorded.
	if err := p.log.Record(ctx, audit.OfActor("client:"+c.ID, ActionEKYC, p.pinOf(ctx, g.AccountID)).With("txn "+extra["txn"].(string)+"; scopes "+strings.Join(g.Scopes, " "))); err != nil {
		return "", err
	}
	return raw, nil
}

// pinOf is the PIN of the account, for the audit entry's subject.
func (p *Provider) pinOf(ctx context.Context, accountID int64) string {
	a, err := p.eid.AccountByID(ctx, accountID)
	if err != nil {
		return ""
	}
	return a.PIN
}

// postEKYC serves POST /api/v1/ekyc: the bearer access token of the
// client's sign-in; the answer is the signed record (application/jwt).
func (p *Provider) postEKYC(w http.ResponseWriter, r *http.Request) error {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="populus"`)
		return problem.New(problem.Unauthorized, "send the access token of the citizen's sign-in as a Bearer token")
	}
	raw, err := p.EKYC(r.Context(), token)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write([]byte(raw))
	return err
}
