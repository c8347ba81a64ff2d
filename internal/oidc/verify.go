package oidc

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/textfold"
)

// Reason codes of a verification (documented in the API document): each
// says which check failed, never what the register holds.
const (
	ReasonName      = 100 // the full name does not match
	ReasonBirthDate = 110 // the date of birth does not match
	ReasonAddress   = 200 // the permanent address does not match
	ReasonCard      = 300 // the card number is not the person's current card
	ReasonNotAlive  = 400 // the person is not alive (for a demographic match)
	ReasonUnknown   = 900 // no person with this PIN in the register
)

// ActionVerify is the audit action of a verification.
const ActionVerify = "verify.demographic"

// VerifyRequest is a relying party's yes/no question about a person: the
// details it holds, and predicates.
type VerifyRequest struct {
	PIN        string          `json:"pin"`
	Purpose    string          `json:"purpose"`
	FullName   *string         `json:"full_name,omitempty"`
	BirthDate  *civil.Date     `json:"birth_date,omitempty"`
	Address    *people.Address `json:"address,omitempty"`
	CardNumber *string         `json:"card_number,omitempty"`
	AgeAtLeast *int            `json:"age_at_least,omitempty"`
	ResidesIn  *string         `json:"resides_in,omitempty"` // a province code
	Alive      *bool           `json:"alive,omitempty"`
	// StatusHidden says that the caller may not learn whether the person
	// is alive (a member of the data exchange that did not ask alive, which
	// its right and the person's consent must then cover): the fields'
	// match does not depend on it, no ReasonNotAlive. Never from JSON.
	StatusHidden bool `json:"-"`
}

// VerifyResponse answers match or not per field and per predicate, with
// reason codes; no personal data.
type VerifyResponse struct {
	Match       bool            `json:"match"`
	Fields      map[string]bool `json:"fields"`
	Predicates  map[string]bool `json:"predicates,omitempty"`
	ReasonCodes []int           `json:"reason_codes"`
}

// check validates a request, naming the wrong fields.
func (in *VerifyRequest) check() error {
	var f problem.Fields
	if _, _, err := pin.Parse(in.PIN); err != nil {
		f.Add("pin", "%v", err)
	}
	if n := len(strings.TrimSpace(in.Purpose)); n == 0 || n > 200 {
		f.Add("purpose", "is required (why the person is verified), at most 200 characters")
	}
	if in.FullName != nil && (strings.TrimSpace(*in.FullName) == "" || len(*in.FullName) > 200) {
		f.Add("full_name", "must not be empty, at most 200 characters")
	}
	if in.BirthDate != nil && in.BirthDate.IsZero() {
		f.Add("birth_date", "must be a date")
	}
	if in.Address != nil && in.Address.Unit == "" {
		f.Add("address.unit_code", "is required with an address")
	}
	if in.AgeAtLeast != nil && (*in.AgeAtLeast < 0 || *in.AgeAtLeast > 150) {
		f.Add("age_at_least", "must be 0 to 150")
	}
	if in.ResidesIn != nil && len(*in.ResidesIn) != 2 {
		f.Add("resides_in", "must be a 2-digit province code")
	}
	if in.FullName == nil && in.BirthDate == nil && in.Address == nil && in.CardNumber == nil && in.AgeAtLeast == nil && in.ResidesIn == nil && in.Alive == nil {
		f.Add("pin", "ask at least one question: a field to match or a predicate")
	}
	return f.Err()
}

// clientPrincipal is a relying party as package auth sees it.
func clientPrincipal(id string) auth.Principal {
	return auth.Principal{Kind: auth.KindClient, Username: id, Unit: "VN"}
}

// Verify answers a relying party entitled to verification (its Verify
// flag) about the person of in.PIN. The person is read through the
// register's guarded API (as system:identity); the call is audited against
// the person: who asked, which fields and predicates, the purpose and the
// outcome, never the values.
func (p *Provider) Verify(ctx context.Context, client auth.Principal, in VerifyRequest) (VerifyResponse, error) {
	if err := in.check(); err != nil {
		return VerifyResponse{}, err
	}
	c, err := p.clients.Get(ctx, client.Username)
	if err != nil || !c.Verify {
		p.record(ctx, audit.Of(client, ActionVerify, in.PIN).Refused("client not entitled to verification"))
		return VerifyResponse{}, problem.New(problem.Forbidden, "this client is not entitled to verification")
	}
	if len(c.Purposes) > 0 && !slices.Contains(c.Purposes, strings.TrimSpace(in.Purpose)) {
		p.record(ctx, audit.Of(client, ActionVerify, in.PIN).Refused("purpose not registered for the client: "+in.Purpose))
		return VerifyResponse{}, problem.Field("purpose", "must be one of the purposes registered for this client: %s", strings.Join(c.Purposes, ", "))
	}
	if why, retry := p.verifies.take(client.Username, in.PIN, p.now(), true); why != "" {
		p.record(ctx, audit.Of(client, ActionVerify, in.PIN).Refused(why))
		return VerifyResponse{}, &VerifyLimitError{Detail: "this client made " + why, RetryAfter: retry}
	}
	return p.verify(ctx, client, in, nil)
}

// SetVerifyLimits replaces the limits of the relying parties'
// verifications (the counts so far are kept).
func (p *Provider) SetVerifyLimits(l VerifyLimits) {
	p.verifies.mu.Lock()
	p.verifies.lim = l.withDefaults()
	p.verifies.mu.Unlock()
}

// VerifyFor answers in for a principal that another capability has
// already authorised (a member system of the data exchange, whose right,
// purpose and consent that capability checked): the same answer and the
// same audit entry as Verify, completed by why (the purpose, legal basis,
// consent and fields of the access; given the answer, to commit to it).
//
// The questions about one person are bounded as Verify's (VerifyLimits'
// PerPersonPerDay, the same count): a *VerifyLimitError beyond, which the
// caller records as its refusal.
func (p *Provider) VerifyFor(ctx context.Context, who auth.Principal, in VerifyRequest, why func(audit.Entry, VerifyResponse) audit.Entry) (VerifyResponse, error) {
	if err := in.check(); err != nil {
		return VerifyResponse{}, err
	}
	if reason, retry := p.verifies.take(who.Username, in.PIN, p.now(), false); reason != "" {
		return VerifyResponse{}, &VerifyLimitError{Detail: who.Username + " made " + reason, RetryAfter: retry}
	}
	return p.verify(ctx, who, in, why)
}

func (p *Provider) verify(ctx context.Context, client auth.Principal, in VerifyRequest, why func(audit.Entry, VerifyResponse) audit.Entry) (VerifyResponse, error) {
	out := VerifyResponse{Fields: map[string]bool{}, ReasonCodes: []int{}}
	person, err := p.reg.Get(ctx, identity.Matcher(), in.PIN)
	found := err == nil
	if err != nil && !problem.Is(err, problem.NotFound) {
		return VerifyResponse{}, err
	}
	fail := func(code int) {
		if !slices.Contains(out.ReasonCodes, code) {
			out.ReasonCodes = append(out.ReasonCodes, code)
		}
	}
	var asked []string
	// A field of no one does not match, and has no reason of its own: the
	// one reason is the unknown PIN (900).
	field := func(name string, ok bool, code int) {
		asked = append(asked, name)
		ok = ok && found
		out.Fields[name] = ok
		if !ok && found {
			fail(code)
		}
	}
	if !found {
		fail(ReasonUnknown)
	}
	if in.FullName != nil {
		field("full_name", textfold.Fold(*in.FullName) == textfold.Fold(person.FullName) && sameWritten(*in.FullName, person.FullName), ReasonName)
	}
	if in.BirthDate != nil {
		field("birth_date", *in.BirthDate == person.BirthDate, ReasonBirthDate)
	}
	if in.Address != nil {
		field("address", in.Address.Unit == person.Permanent.Unit && textfold.Fold(in.Address.Detail) == textfold.Fold(person.Permanent.Detail), ReasonAddress)
	}
	if in.CardNumber != nil {
		field("card_number", strings.TrimSpace(*in.CardNumber) == person.Card.Number && person.Card.Number != "", ReasonCard)
	}
	if len(out.Fields) > 0 && found && person.Status != people.Alive && !in.StatusHidden {
		fail(ReasonNotAlive)
	}
	today := civil.InVietnam(p.now())
	pred := func(name string, ok bool) {
		asked = append(asked, name)
		if out.Predicates == nil {
			out.Predicates = map[string]bool{}
		}
		out.Predicates[name] = ok && found
	}
	if in.AgeAtLeast != nil {
		b := person.BirthDate
		age := today.Year - b.Year
		if b.Month == 0 || today.Month < b.Month || (today.Month == b.Month && (b.Day == 0 || today.Day < b.Day)) {
			age-- // a partial date counts from its last possible day
		}
		pred("age_at_least_"+strconv.Itoa(*in.AgeAtLeast), age >= *in.AgeAtLeast)
	}
	if in.ResidesIn != nil {
		u, ok := p.units.Lookup(person.Permanent.Unit)
		pred("resides_in_"+*in.ResidesIn, ok && (u.ParentCode == *in.ResidesIn || u.Code == *in.ResidesIn))
	}
	if in.Alive != nil {
		pred("alive", person.Status == people.Alive)
	}
	out.Match = len(out.ReasonCodes) == 0
	for _, ok := range out.Predicates {
		out.Match = out.Match && ok
	}
	slices.Sort(out.ReasonCodes)
	outcome := "match"
	if !out.Match {
		outcome = "no match " + strings.Join(intStrings(out.ReasonCodes), ",")
	}
	e := audit.Of(client, ActionVerify, in.PIN).With("asked " + strings.Join(asked, ",") + "; purpose " + in.Purpose + "; " + outcome)
	if why != nil {
		// The exchange's accesses are recorded before the answer leaves.
		if err := p.log.Record(ctx, why(e, out)); err != nil {
			return VerifyResponse{}, err
		}
		return out, nil
	}
	// A disclosure is a read: not answered unless recorded.
	if err := p.log.Record(ctx, e); err != nil {
		return VerifyResponse{}, err
	}
	return out, nil
}

func intStrings(xs []int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strconv.Itoa(x)
	}
	return out
}

// sameWritten compares names as written, case and spaces aside: the
// diacritics count ("Lân" is not "Lan").
func sameWritten(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// Guards returns the guard of AccessClient: the relying party
// authenticates with client_secret_basic on every call.
func (p *Provider) Guards() map[httpx.Access]httpx.Guard {
	return map[httpx.Access]httpx.Guard{httpx.AccessClient: p.protectClient}
}

func (p *Provider) protectClient(next http.Handler, fail httpx.ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		c, err := p.clients.Get(r.Context(), id)
		if !ok || err != nil || !c.checkSecret(secret) {
			w.Header().Set("WWW-Authenticate", `Basic realm="populus"`)
			fail(w, r, problem.New(problem.Unauthorized, "authenticate with the client id and secret (HTTP Basic)"))
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), clientPrincipal(id))))
	})
}
