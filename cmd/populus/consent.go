package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/consent/consentui"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/oidc"
	datausage "github.com/populus-vn/populus/internal/usage"
	"github.com/populus-vn/populus/internal/usage/usageui"
	"github.com/populus-vn/populus/internal/web"
)

// consentAndUsage adds the citizens' consents (with a master key, which
// seals the receipts' signing key) and "who used my data" to the served
// capabilities and pages.
func (p *platform) consentAndUsage(caps []httpx.Routes, modules []web.Module, rd *audit.Reader) ([]httpx.Routes, []web.Module) {
	if p.Master != nil {
		p.Consent = consent.New(p.DB, p.Audit, p.Guard, *p.Master)
		// A death registered ends the person's consents in its own
		// transaction.
		p.Register.OnDeath(p.Consent.EndAtDeath)
		// A recovery at the counter ends the consents given under the
		// account (perhaps by whoever held it): its holder gives them
		// again.
		p.Identity.OnHandOver(func(ctx context.Context, tx *sql.Tx, h identity.HandOver) error {
			if h.Why != identity.HandOverRecovery {
				return nil
			}
			return p.Consent.End(ctx, tx, h.PIN, consent.EndedByRecovery)
		})
		caps = append(caps, p.Consent)
		modules = append(modules, consentui.Module(p.Consent, consentChoices(p)))
	}
	o := datausage.Options{
		// The identity's matcher reads for the citizen's portal, relying
		// parties and registrations, each recorded again naming who for.
		OnBehalf: []string{identity.Matcher().ActorID()},
		// A refused consent check, recorded again by the exchange's
		// refusal of the access under the same request.
		Checks: []string{string(consent.ActionRefused)},
		// An officer flags the accesses of a person within reach, judged
		// as a read is; a refusal is audited under the flag's action, and
		// nothing is read: the flag's own entry records the act, hidden
		// from the person with it (a read would show the person the
		// police's interest at the moment of the flag).
		Reach: func(ctx context.Context, pr auth.Principal, pin string) error {
			return p.Register.Within(ctx, pr, datausage.FlagCovert, pin)
		},
		Officer: func(ctx context.Context, username string) (auth.Role, string, bool) {
			a, err := p.Staff.ByUsername(ctx, username)
			return a.Role, a.Unit, err == nil
		},
		UnitName: func(code string) string {
			if u, ok := p.Units.Lookup(code); ok {
				return u.Type + " " + u.Name
			}
			return code
		},
	}
	if p.OIDC != nil {
		o.Organisations = append(o.Organisations, relyingParties{p.OIDC.Clients()})
	}
	if p.Exchange != nil {
		// The exchange's members, by name, for the consents' receipts and
		// for "who used my data".
		o.Organisations = append(o.Organisations, p.Exchange)
		o.PurposeName = p.Exchange.PurposeName
		if p.Consent != nil {
			p.Consent.SetOrganisations(p.Exchange)
			p.Consent.SetEntitlements(p.Exchange)
		}
	}
	us := datausage.New(p.DB, p.Audit, rd, p.Guard, o)
	return append(caps, us), append(modules, usageui.Module(us))
}

// relyingParties names the OpenID provider's clients for "who used my
// data" (datausage.OrganisationOf).
type relyingParties struct{ c *oidc.Clients }

func (r relyingParties) OrganisationOf(ctx context.Context, actor string) (string, bool) {
	id, ok := strings.CutPrefix(actor, string(auth.KindClient)+":")
	if !ok {
		return "", false
	}
	c, err := r.c.Get(ctx, id)
	if err != nil {
		return "", false
	}
	return c.Name, true
}

// runReceipt verifies a signed consent receipt offline, as an auditor
// does: against the key set the platform publishes at
// GET /api/v1/consent/keys, saved to a file. It prints the receipt's
// content; a receipt that does not verify is an error (exit status 2).
func runReceipt(_ context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("receipt", env, stdout)
	f.summary = "Verifies a signed consent receipt (JWS) against the consent keys saved from GET /api/v1/consent/keys, and prints its content."
	f.args, f.argsUsage = 1, " RECEIPT_FILE"
	var keysFile string
	f.string(&keysFile, "keys", "POPULUS_CONSENT_KEYS", "consent-keys.json", "the JWK set of GET /api/v1/consent/keys, saved to a file")
	if err := f.parse(args); err != nil {
		return err
	}
	kb, err := os.ReadFile(keysFile)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--keys: %s does not exist: save the consent keys first, e.g. curl -s http://127.0.0.1:8080/api/v1/consent/keys > %s", keysFile, keysFile)
	}
	if err != nil {
		return fmt.Errorf("--keys: %w", err)
	}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal(kb, &keys); err != nil {
		return fmt.Errorf("--keys: %s is not a JWK set: %w", keysFile, err)
	}
	rb, err := os.ReadFile(f.rest[0])
	if err != nil {
		return err
	}
	receipts, err := receiptsIn(rb)
	if err != nil {
		return fmt.Errorf("%s: %w", f.rest[0], err)
	}
	for _, r := range receipts {
		rc, err := consent.Verify(r, keys)
		if err != nil {
			return failed(fmt.Errorf("the receipt does not verify: %w", err))
		}
		out, _ := json.MarshalIndent(rc, "", "  ")
		fmt.Fprintf(stdout, "The receipt verifies: consent %s, version %d, %s.\n%s\n", rc.Record.ConsentID, rc.Record.Version, rc.Record.Status, out)
	}
	return nil
}

// receiptsIn reads the receipts of a file: one receipt (a JWS in compact
// form), or the answer of GET /api/v1/consent/me/records/{id}/receipts (a
// list of versions, or an object with them in items), every version's.
func receiptsIn(b []byte) ([]string, error) {
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, "[") && !strings.HasPrefix(s, "{") {
		if strings.Count(s, ".") != 2 || strings.ContainsAny(s, " \n") {
			return nil, errors.New("holds neither a receipt (a JWS in compact form: three base64url parts joined by dots) nor the answer of GET …/receipts")
		}
		return []string{s}, nil
	}
	var versions []consent.Version
	if strings.HasPrefix(s, "{") {
		var page struct {
			Items []consent.Version `json:"items"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("is not the answer of GET …/receipts: %w", err)
		}
		versions = page.Items
	} else if err := json.Unmarshal(b, &versions); err != nil {
		return nil, fmt.Errorf("is not the answer of GET …/receipts: %w", err)
	}
	var out []string
	for _, v := range versions {
		if v.Receipt != "" {
			out = append(out, v.Receipt)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("holds no receipt")
	}
	return out, nil
}

// consentChoices is what the citizen's consent form offers: the
// exchange's catalogue, when the platform has one.
func consentChoices(p *platform) consentui.Choices {
	if p.Exchange == nil {
		return nil
	}
	return p.Exchange
}
