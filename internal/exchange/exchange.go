// Package exchange is the data-exchange platform (NDXP, Nền tảng tích hợp,
// chia sẻ dữ liệu quốc gia): member systems of ministries, provinces,
// banks, insurers and hospitals, named as X-Road names them
// (INSTANCE/CLASS/MEMBER/SUBSYSTEM), reach the register through the X-Road
// REST protocol (/r1/…), authenticated by mutual TLS with certificates of
// Populus's own certificate authority or by OAuth2 client credentials
// with private_key_jwt, under rights per subsystem, service and field, for
// a stated purpose with its legal basis, the citizen's consent where the
// law does not mandate the access, and every access audited with why it
// was made and which fields it disclosed.
package exchange

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/egress"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
)

//go:embed migrations
var migrations embed.FS

// Schema is the exchange's tables.
var Schema = &db.Schema{Name: "exchange", FS: migrations}

// Actions of the exchange. Managing members, subsystems, services and
// rights is the administrators'; the accesses of member systems are
// audited under the actions of the services they call.
var (
	ManageExchange = auth.Declare("exchange.manage", auth.Grant{Role: auth.Admin})
	// ActionLookup is a person's record read by a member system.
	ActionLookup auth.Action = "exchange.person.read"
	// ActionVerify is a yes/no verification by a member system (also
	// each row of a batch).
	ActionVerify auth.Action = "exchange.verify"
	// ActionForward is a call forwarded to a member's own service.
	ActionForward auth.Action = "exchange.forward"
	// ActionAuthenticate is a member system's failed authentication or
	// token request.
	ActionAuthenticate auth.Action = "exchange.authenticate"
)

// Consents is the consent check of accesses whose purpose needs the
// citizen's consent (package consent implements it). It returns the id of
// the consent that allows the access, or a Forbidden problem saying why
// not (no consent, revoked, expired, frequency exceeded, field not
// covered); it counts the use when it authorises.
type Consents interface {
	Authorize(ctx context.Context, subject, client, purpose string, fields []string) (consentID string, err error)
}

// Register is what the exchange reads of the register: one person, through
// its guard (package register's *Register).
type Register interface {
	Get(ctx context.Context, pr auth.Principal, pin string) (people.Person, error)
}

// Verifier answers yes/no verifications (package oidc's *Provider).
type Verifier interface {
	VerifyFor(ctx context.Context, who auth.Principal, in oidc.VerifyRequest, why func(audit.Entry, oidc.VerifyResponse) audit.Entry) (oidc.VerifyResponse, error)
}

// Options build the exchange.
type Options struct {
	DB    *db.DB
	Audit *audit.Log
	Guard *auth.Guard
	// Register is read for look-ups; Verifier answers verifications (nil:
	// the verification services answer 503).
	Register Register
	Verifier Verifier
	// Consents checks consent; nil refuses every access whose purpose
	// needs consent, saying so.
	Consents Consents
	// Master seals the certificate authority's key.
	Master oidc.MasterKey
	// TokenURL is the token endpoint's public URL: a client assertion's
	// audience must name it, its origin (the authorization server's
	// identifier), or one of the URLs AddTokenURLs adds.
	TokenURL string
	Now      func() time.Time
	// RequestsPerMinute bounds each subsystem's /r1/ requests in a clock
	// minute (0: DefaultRequestsPerMinute; negative: no limit).
	RequestsPerMinute int
	// BatchRowsPerMinute bounds the rows of each subsystem's batch
	// verifications in a clock minute (0: DefaultBatchRowsPerMinute;
	// negative: no limit).
	BatchRowsPerMinute int
	// Egress is what member services' base URLs may reach (package
	// egress), checked when a service is published and on every address
	// the forwarding dials; nil: no check when published, and the default
	// policy (no loopback, private or link-local address) when forwarding.
	Egress *egress.Policy
}

// Exchange is the capability.
type Exchange struct {
	db       *db.DB
	audit    *audit.Log
	guard    *auth.Guard
	reg      Register
	verifier Verifier
	consents Consents
	master   oidc.MasterKey
	// audiences are those a client assertion may name: the token
	// endpoint's URLs and their origins.
	audiences atomic.Pointer[jwt.Audience]
	audMu     sync.Mutex // serialises AddTokenURLs
	now       func() time.Time
	caMu      sync.Mutex
	ca        *authority
	mon       *monitor
	cat       catalogue
	// live remembers the bearer tokens read active (token.go).
	live   *db.EpochCache[liveToken]
	limit  limiter
	rows   limiter // batch rows
	egress *egress.Policy
	// forwarder calls member services (forward.go).
	forwarder *http.Client
}

// New returns the exchange.
func New(o Options) *Exchange {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RequestsPerMinute == 0 {
		o.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if o.BatchRowsPerMinute == 0 {
		o.BatchRowsPerMinute = DefaultBatchRowsPerMinute
	}
	policy := egress.Policy{}
	if o.Egress != nil {
		policy = *o.Egress
	}
	x := &Exchange{db: o.DB, audit: o.Audit, guard: o.Guard, reg: o.Register, verifier: o.Verifier, consents: o.Consents,
		master: o.Master, now: o.Now, mon: newMonitor(), limit: limiter{max: o.RequestsPerMinute}, rows: limiter{max: o.BatchRowsPerMinute},
		egress: o.Egress, forwarder: policy.Client(30 * time.Second), live: newLiveTokens()}
	x.audiences.Store(&jwt.Audience{})
	x.AddTokenURLs(o.TokenURL)
	return x
}

// AddTokenURLs adds URLs at which clients reach the token endpoint (the
// exchange listener's, under each name of its certificate): a client
// assertion may name any of them as its audience, as RFC 7523 allows, or
// its origin, the authorization server's identifier.
func (x *Exchange) AddTokenURLs(urls ...string) {
	x.audMu.Lock()
	defer x.audMu.Unlock()
	next := slices.Clone(*x.audiences.Load())
	for _, u := range urls {
		if u == "" {
			continue
		}
		add := []string{u}
		if p, err := url.Parse(u); err == nil && p.Scheme != "" && p.Host != "" {
			add = append(add, p.Scheme+"://"+p.Host)
		}
		for _, a := range add {
			if !slices.Contains(next, a) {
				next = append(next, a)
			}
		}
	}
	x.audiences.Store(&next)
}

// SetConsents wires the consent check (after both are built).
func (x *Exchange) SetConsents(c Consents) { x.consents = c }

// reader is the platform reading the register for the exchange: a system
// principal attached to the nation with the matcher's one grant (read one
// person); the member's own entry, with purpose, basis, consent and
// fields, is written beside the register's.
var reader = auth.Principal{Kind: auth.KindSystem, Username: "exchange", DisplayName: "Nền tảng chia sẻ dữ liệu", Role: auth.Matcher, Unit: "VN"}

// Reader is the system principal of the exchange's reads of the register
// (to exempt from the per-account read limits, as the identity's).
func Reader() auth.Principal { return reader }

// ReadRecorder is the Recorder of the guard of the register the exchange
// reads (Options.Register): refusals are recorded as usual; the reads of
// the exchange's Reader are not, because the exchange records each of
// them itself, before it answers, in one entry naming the member system,
// the person, the purpose, legal basis, consent, request and fields
// disclosed. One access, one entry, one commit to wait for.
func ReadRecorder(log *audit.Log) auth.Recorder { return readRecorder{log} }

type readRecorder struct{ log *audit.Log }

func (r readRecorder) Deny(ctx context.Context, p auth.Principal, a auth.Action, subject, detail string) error {
	return r.log.Deny(ctx, p, a, subject, detail)
}

func (r readRecorder) Allow(ctx context.Context, p auth.Principal, a auth.Action, detail string, subjects ...string) error {
	if p == reader && a == auth.ReadPerson {
		return nil
	}
	return r.log.Allow(ctx, p, a, detail, subjects...)
}
