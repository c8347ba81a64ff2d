package oidc

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
)

// ScopeView is one scope a client asks for, as the consent screen shows it.
type ScopeView struct {
	Scope     string
	Essential bool
}

// Pending is an authorization request waiting for the citizen.
type Pending struct {
	ID         string
	ClientID   string
	ClientName string
	Scopes     []ScopeView // without openid and offline_access
	Level      int         // the level of account required
	// MFA: the request asks for a sign-in with more than one factor.
	MFA bool
	// Prompt and MaxAge are the request's (OpenID Connect Core §3.1.2.1):
	// prompt=login or a session older than MaxAge seconds asks for the
	// password again, prompt=consent the consent, prompt=none neither.
	Prompt []string
	MaxAge *uint
	// LoginHint is the request's login_hint where it is a PIN (the
	// sign-in form is filled with it).
	LoginHint string
	// UILocales are the request's ui_locales, the languages the citizen
	// prefers, best first (BCP 47 base languages: "vi", "en").
	UILocales []string
	// RedirectURI is where the answer goes: the relying party's (its
	// origin is allowed as the sign-in and consent forms' target, since
	// the redirect after them leads there).
	RedirectURI string
	// hint is the request's id_token_hint (HintFits).
	hint string
}

// Fresh reports whether a session signed in at signedIn with methods amr
// satisfies the request without asking the citizen to sign in again.
func (v *Pending) Fresh(signedIn time.Time, amr []string, now time.Time) bool {
	if slices.Contains(v.Prompt, "login") || slices.Contains(v.Prompt, "select_account") || (v.MFA && !slices.Contains(amr, "mfa")) {
		return false
	}
	return v.MaxAge == nil || now.Sub(signedIn) <= time.Duration(*v.MaxAge)*time.Second
}

// HintFits reports whether the account accountID is the one the request's
// id_token_hint names, or the request names none: a session of another
// account does not answer it unasked (OpenID Connect Core §3.1.2.1).
func (p *Provider) HintFits(r *http.Request, pd *Pending, accountID int64) bool {
	return pd.hint == "" || p.hintOf(r, pd.hint, accountID)
}

// Has reports whether the request's prompt holds value.
func (v *Pending) Has(prompt string) bool { return slices.Contains(v.Prompt, prompt) }

// notPending is the answer for a request that is unknown, expired or done.
func notPending() error {
	return problem.New(problem.NotFound, "this sign-in request has expired or was already used; start again from the service")
}

// Pending returns the request id as the citizen's pages show it.
func (p *Provider) Pending(ctx context.Context, id string) (*Pending, error) {
	a, err := p.authRequest(ctx, id)
	if errors.Is(err, errNoRequest) || (err == nil && a.IsDone) {
		return nil, notPending()
	}
	if err != nil {
		return nil, err
	}
	c, err := p.clients.Get(ctx, a.Req.ClientID)
	if err != nil {
		return nil, notPending()
	}
	level, mfa := p.required(c, a)
	v := &Pending{ID: id, ClientID: c.ID, ClientName: c.Name, Level: level, MFA: mfa, Prompt: a.Req.Prompt, MaxAge: a.Req.MaxAge,
		RedirectURI: a.Req.RedirectURI, hint: a.Req.IDTokenHint}
	if _, _, err := pin.Parse(a.Req.LoginHint); err == nil {
		v.LoginHint = a.Req.LoginHint
	}
	for _, t := range a.Req.UILocales {
		base, _ := t.Base()
		v.UILocales = append(v.UILocales, base.String())
	}
	for _, s := range a.Req.Scopes {
		if s == "openid" || s == "offline_access" || !c.IsScopeAllowed(s) {
			continue
		}
		v.Scopes = append(v.Scopes, ScopeView{Scope: s, Essential: slices.Contains(c.Essential, s)})
	}
	return v, nil
}

// required is the account's level and whether more than one factor is
// required: the client's minimum level, raised by the weakest of the
// request's acr_values.
func (p *Provider) required(c *Client, a *authRequest) (level int, mfa bool) {
	weakest := -1
	for _, v := range a.Req.ACRValues {
		if i := slices.Index(acrValues, v); i >= 0 && (weakest < 0 || i < weakest) {
			weakest = i
		}
	}
	level = max(c.MinLevel, 1)
	if weakest >= 0 {
		level, mfa = max(level, weakest/2+1), weakest%2 == 1
	}
	return level, mfa
}

// Remembered returns the scopes the holder consented to for this request's
// client and exactly this scope set, if that consent is still in force.
func (p *Provider) Remembered(ctx context.Context, id string, sess identity.Session) ([]string, bool, error) {
	a, err := p.authRequest(ctx, id)
	if err != nil || a.IsDone {
		return nil, false, notPending()
	}
	var scopes string
	err = p.db.QueryRowContext(ctx, `SELECT scopes FROM oidc_consents WHERE account_id = $1 AND client_id = $2 AND revoked_at = '' AND expires_at > $3 AND asked = $4 ORDER BY id DESC LIMIT 1`,
		sess.Account.ID, a.Req.ClientID, db.FormatTime(p.now()), scopeSet(a.Req.Scopes)).Scan(&scopes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return strings.Fields(scopes), true, nil
}

// scopeSet is a set of scopes in one canonical text.
func scopeSet(s []string) string {
	s = slices.Clone(s)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), " ")
}

// Authorize completes request id for the signed-in holder of sess with the
// scopes granted (openid and offline_access are implied by the request):
// it returns where to send the browser, the provider's callback that
// issues the code, or the client's redirect URI with the error when the
// account's level is too low (unmet_authentication_requirements) or an
// essential scope was declined (access_denied). With remember, the
// consent holds for the same scope set until it expires.
func (p *Provider) Authorize(ctx context.Context, id string, sess identity.Session, granted []string, remember bool, remote string) (string, error) {
	a, err := p.authRequest(ctx, id)
	if errors.Is(err, errNoRequest) || (err == nil && a.IsDone) {
		return "", notPending()
	}
	if err != nil {
		return "", err
	}
	c, err := p.clients.Get(ctx, a.Req.ClientID)
	if err != nil {
		return "", notPending()
	}
	acct := sess.Account
	holder := acct.Principal("")
	need, mfa := p.required(c, a)
	if acct.Level < need {
		p.record(ctx, audit.Of(holder, ActionConsent, acct.PIN).Refused("client "+c.ID+": level "+itoa(acct.Level)+" account, level "+itoa(need)+" required"))
		return p.deny(ctx, a, "unmet_authentication_requirements",
			"this service requires a level-"+itoa(need)+" account; the account is at level "+itoa(acct.Level)+" (level 2 is raised in person at a police office)")
	}
	if mfa && !slices.Contains(sess.AMR, "mfa") {
		p.record(ctx, audit.Of(holder, ActionConsent, acct.PIN).Refused("client "+c.ID+": multi-factor sign-in required, signed in with "+strings.Join(sess.AMR, " ")))
		return p.deny(ctx, a, "unmet_authentication_requirements",
			"this service requires a sign-in with two factors: a passkey that verifies you, or the password with the authenticator app's code")
	}
	var keep []string
	for _, s := range a.Req.Scopes {
		if s == "openid" || s == "offline_access" || (slices.Contains(granted, s) && c.IsScopeAllowed(s)) {
			keep = append(keep, s)
			continue
		}
		if slices.Contains(c.Essential, s) {
			p.record(ctx, audit.Of(holder, ActionConsent, acct.PIN).Refused("client "+c.ID+": essential scope "+s+" declined"))
			return p.deny(ctx, a, "access_denied", "the citizen declined to share "+s+", which this service requires")
		}
	}
	sub, err := p.pairwise(ctx, c.sector(), acct.PIN, acct.ID)
	if err != nil {
		return "", err
	}
	now := p.now()
	amr := sess.AMR
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	err = p.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE oidc_auth_requests SET account_id = $2, subject = $3, acr = $4, auth_time = $5, scopes = $6, amr = $7, done = 1
			WHERE id = $1 AND done = 0`, a.ID, acct.ID, sub, acrOf(acct.Level, amr), db.FormatTime(sess.CreatedAt), strings.Join(keep, " "), strings.Join(amr, " "))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return notPending()
		}
		if !remember {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO oidc_consents (account_id, client_id, asked, scopes, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			acct.ID, c.ID, scopeSet(a.Req.Scopes), strings.Join(keep, " "), db.FormatTime(now), db.FormatTime(now.Add(consentTTL)))
		return err
	})
	if err != nil {
		return "", err
	}
	e := audit.Of(holder, ActionConsent, acct.PIN).With("client " + c.ID + " granted " + strings.Join(keep, " "))
	e.Remote = remote
	p.record(ctx, e)
	return p.opts.Issuer + "/authorize/callback?id=" + url.QueryEscape(a.ID), nil
}

// Decline answers request id with access_denied: the holder refused.
func (p *Provider) Decline(ctx context.Context, id string, sess identity.Session) (string, error) {
	a, err := p.authRequest(ctx, id)
	if errors.Is(err, errNoRequest) || (err == nil && a.IsDone) {
		return "", notPending()
	}
	if err != nil {
		return "", err
	}
	p.record(ctx, audit.Of(sess.Account.Principal(""), ActionConsent, sess.Account.PIN).Refused("client "+a.Req.ClientID+": declined"))
	return p.deny(ctx, a, "access_denied", "the citizen declined to share their information with this service")
}

// Interaction answers a prompt=none request that would need the citizen
// (login_required or consent_required).
func (p *Provider) Interaction(ctx context.Context, id, code string) (string, error) {
	a, err := p.authRequest(ctx, id)
	if errors.Is(err, errNoRequest) || (err == nil && a.IsDone) {
		return "", notPending()
	}
	if err != nil {
		return "", err
	}
	return p.deny(ctx, a, code, "prompt=none, and the citizen would have to "+map[string]string{"login_required": "sign in", "consent_required": "consent"}[code])
}

// OtherAccount answers a request whose id_token_hint names another
// account than the one the citizen signed in with: login_required (OpenID
// Connect Core §3.1.2.1), not a code for someone the client did not ask
// about.
func (p *Provider) OtherAccount(ctx context.Context, id string) (string, error) {
	a, err := p.authRequest(ctx, id)
	if errors.Is(err, errNoRequest) || (err == nil && a.IsDone) {
		return "", notPending()
	}
	if err != nil {
		return "", err
	}
	return p.deny(ctx, a, "login_required", "the citizen signed in with another account than the one id_token_hint names")
}

// deny ends a request with an error sent to the client's redirect URI
// (with state and iss).
func (p *Provider) deny(ctx context.Context, a *authRequest, code, desc string) (string, error) {
	if _, err := p.db.ExecContext(ctx, "DELETE FROM oidc_auth_requests WHERE id = $1", a.ID); err != nil {
		return "", err
	}
	return errorRedirect(a.Req.RedirectURI, code, desc, a.Req.State, p.opts.Issuer), nil
}

func errorRedirect(redirectURI, code, desc, state, iss string) string {
	u, _ := url.Parse(redirectURI)
	q := u.Query()
	q.Set("error", code)
	q.Set("error_description", desc)
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", iss)
	u.RawQuery = q.Encode()
	return u.String()
}

func itoa(n int) string { return strconv.Itoa(n) }
