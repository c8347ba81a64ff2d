package oidc

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/problem"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the fragment documenting the provider's /api/ routes
// (httpx.Documented). It may be called on a nil *Provider.
func (*Provider) OpenAPI() []byte { return openAPI }

// Consent is what a holder approved for a service.
type Consent struct {
	ID         int64     `json:"id"`
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	GrantedAt  time.Time `json:"granted_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Consents lists the holder's consents in force, newest first.
func (p *Provider) Consents(ctx context.Context, pr auth.Principal) ([]Consent, error) {
	if pr.Kind != auth.KindCitizen || pr.ID == 0 {
		return nil, problem.New(problem.Forbidden, "only the account's holder may see its consents")
	}
	rows, err := p.db.QueryContext(ctx, `SELECT c.id, c.client_id, coalesce(k.name, c.client_id), c.scopes, c.granted_at, c.expires_at
		FROM oidc_consents c LEFT JOIN oidc_clients k ON k.id = c.client_id
		WHERE c.account_id = $1 AND c.revoked_at = '' AND c.expires_at > $2 ORDER BY c.id DESC LIMIT 200`, pr.ID, db.FormatTime(p.now()))
	out, err := db.Collect(rows, err, func(sc db.Scanner) (Consent, error) {
		var c Consent
		var scopes string
		err := sc.Scan(&c.ID, &c.ClientID, &c.ClientName, &scopes, db.Time{T: &c.GrantedAt}, db.Time{T: &c.ExpiresAt})
		c.Scopes = strings.Fields(scopes)
		return c, err
	})
	if out == nil {
		out = []Consent{}
	}
	return out, err
}

// Withdraw revokes a consent of the holder, and every token the service
// holds for them: its next sign-in asks again.
func (p *Provider) Withdraw(ctx context.Context, pr auth.Principal, id int64) error {
	if pr.Kind != auth.KindCitizen || pr.ID == 0 {
		return problem.New(problem.Forbidden, "only the account's holder may withdraw its consents")
	}
	var client string
	err := p.db.QueryRowContext(ctx, "UPDATE oidc_consents SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at = '' RETURNING client_id",
		id, pr.ID, db.FormatTime(p.now())).Scan(&client)
	if err != nil {
		return problem.New(problem.NotFound, "no consent %d in force on your account", id)
	}
	_, err = p.db.ExecContext(ctx, "UPDATE oidc_tokens SET revoked = 1 WHERE account_id = $1 AND client_id = $2", pr.ID, client)
	p.live.Invalidate()
	if err != nil {
		return err
	}
	p.record(ctx, audit.Of(pr, ActionConsent, pr.Username).With("client "+client+": consent withdrawn"))
	return nil
}

// forgetAccount is the electronic identity's hand-over hook
// (identity.Service.OnHandOver): when an account is taken from whoever held
// its credentials (a lock, a recovery at the counter, a death, a change of
// the password), inside that transaction every token the relying parties
// hold for it is revoked, and every sign-in approved under it but not yet
// exchanged for tokens is dropped; but for a change of the password (the
// holder's own act, signed in), every consent given to them under it ends
// too (the holder's next sign-in at each asks again). Tokens remembered by
// this process stop within epochTTL.
func (p *Provider) forgetAccount(ctx context.Context, tx *sql.Tx, h identity.HandOver) error {
	accountID := h.AccountID
	if _, err := tx.ExecContext(ctx, "UPDATE oidc_tokens SET revoked = 1 WHERE account_id = $1 AND revoked = 0", accountID); err != nil {
		return fmt.Errorf("revoke the account's tokens: %w", err)
	}
	if h.Why != identity.HandOverPassword {
		if _, err := tx.ExecContext(ctx, "UPDATE oidc_consents SET revoked_at = $2 WHERE account_id = $1 AND revoked_at = ''", accountID, db.FormatTime(p.now())); err != nil {
			return fmt.Errorf("end the account's consents: %w", err)
		}
	}
	// A sign-in approved under the account and not yet turned into
	// tokens (its code unissued or unredeemed) ends too.
	if _, err := tx.ExecContext(ctx, "DELETE FROM oidc_auth_requests WHERE account_id = $1", accountID); err != nil {
		return fmt.Errorf("end the account's sign-ins under way: %w", err)
	}
	p.live.Invalidate()
	return nil
}

// apiRoutes are the holder's consent routes.
func (p *Provider) apiRoutes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/identity/me/consents", Handler: httpx.Handle(p.getConsents), Access: httpx.AccessCitizen},
		{Pattern: "DELETE /api/v1/identity/me/consents/{id}", Handler: httpx.Handle(p.deleteConsent), Access: httpx.AccessCitizen},
		{Pattern: "POST /api/v1/verify", Handler: httpx.Handle(p.postVerify), Access: httpx.AccessClient},
		// Authenticated by the bearer access token itself.
		{Pattern: "POST /api/v1/ekyc", Handler: httpx.Handle(p.postEKYC), Access: httpx.AccessPublic},
	}
}

func (p *Provider) getConsents(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	cs, err := p.Consents(r.Context(), pr)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, cs)
}

func (p *Provider) deleteConsent(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return problem.Field("id", "must be the id of one of your consents")
	}
	if err := p.Withdraw(r.Context(), pr, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxVerifyBody bounds a verification request.
const maxVerifyBody = 4 << 10

func (p *Provider) postVerify(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var in VerifyRequest
	if err := httpx.DecodeJSON(w, r, &in, maxVerifyBody); err != nil {
		return err
	}
	out, err := p.Verify(r.Context(), pr, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
