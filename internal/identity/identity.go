// Package identity holds the electronic identity accounts of citizens
// (tài khoản định danh điện tử, as VNeID): one account per person of the
// register, opened at level 1 by the citizen (PIN, full name and date of
// birth matched against the register, the phone proven by a one-time
// code), raised to level 2 in person by a police officer who has checked
// the chip card, revoked when the person's death is registered.
//
// It authenticates citizens and keeps their sessions, as package staff does
// for civil servants: the principal it puts into a request is of kind
// citizen (auth.Citizen). It never stores a password, a code or a session
// token in clear, nor logs one.
package identity

import (
	"context"
	"database/sql"
	"embed"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

//go:embed migrations
var migrations embed.FS

// Schema is the accounts' tables. Revocations on death are audited inside
// the death's transaction (audit.Schema).
var Schema = &db.Schema{Name: "identity", FS: migrations, Requires: []*db.Schema{audit.Schema}}

// State is where an account is in its life.
type State string

const (
	// StatePending: registered, waiting for the one-time code sent to the
	// phone.
	StatePending State = "pending"
	// StateActive: the holder may sign in.
	StateActive State = "active"
	// StateLocked by its holder ("this was not me", or to pause it): no
	// sign-in until the holder unlocks it with a one-time code.
	StateLocked State = "locked"
	// StateRevoked for good: the person died (or the account was withdrawn).
	StateRevoked State = "revoked"
	// StateRecovering: handed back to its holder at the counter (Recover):
	// no password, no session, no factor; the holder sets a password with
	// the code sent to the phone the officer recorded.
	StateRecovering State = "recovering"
)

// Levels of an account (Decree 69/2024/NĐ-CP, art. 12): level 1 is opened
// online against the register; level 2 is raised in person after the chip
// card was checked, and is legally equal to showing the card.
const (
	Level1 = 1
	Level2 = 2
)

// Account is a citizen's electronic identity account.
type Account struct {
	ID          int64     `json:"-"`
	PIN         string    `json:"pin"`
	State       State     `json:"state"`
	Level       int       `json:"level"`
	Phone       string    `json:"phone"`
	StateReason string    `json:"state_reason,omitempty"`
	Level2By    string    `json:"level2_by,omitempty"`
	Level2At    time.Time `json:"level2_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Principal is the account's holder as package auth sees them: a citizen,
// named by PIN, attached to the nation (the actions granted to the citizen
// role concern the holder's own record only, see auth.Citizen).
func (a Account) Principal(name string) auth.Principal {
	return auth.Principal{Kind: auth.KindCitizen, ID: a.ID, Username: a.PIN, DisplayName: name, Role: auth.Citizen, Unit: "VN"}
}

// RaiseLevel is the police officer's action of raising an account to
// level 2 (from any scope, on people within reach).
var RaiseLevel = auth.Declare("identity.level2", auth.Grant{Role: auth.PoliceOfficer})

// RecoverAccount is the police officer's action of giving an account back
// to the holder of the chip card checked in person (from any scope, on
// people within reach).
var RecoverAccount = auth.Declare("identity.recover", auth.Grant{Role: auth.PoliceOfficer})

// Audit actions written by this package.
const (
	ActionRegister auth.Action = "identity.register"
	ActionConfirm  auth.Action = "identity.confirm"
	ActionSignIn   auth.Action = "identity.signin"
	ActionSignOut  auth.Action = "identity.signout"
	ActionLock     auth.Action = "identity.lock"
	ActionUnlock   auth.Action = "identity.unlock"
	ActionRevoke   auth.Action = "identity.revoke"
	// ActionRecovered is the holder's new password set with the code of a
	// recovery (RecoverAccount, the officer's act).
	ActionRecovered auth.Action = "identity.recovered"
	// ActionCodeRequest is a request for a one-time code to the phone of
	// an account (to unlock it, or to finish its recovery), by anyone who
	// names its PIN: recorded against the person, sent or not.
	ActionCodeRequest auth.Action = "identity.code.request"
)

// matcher is the system principal that reads people for the electronic
// identity (a self-registration's match, consented claims, verifications,
// the holder's own record), through the register's guarded read API.
var matcher = auth.Principal{Kind: auth.KindSystem, Username: "identity", DisplayName: "Định danh điện tử", Role: auth.Matcher, Unit: "VN"}

// Matcher is the principal of the register reads made for the electronic
// identity ("system:identity"; see auth.Matcher): the read limits exempt
// it, the provider and the portal read with it.
func Matcher() auth.Principal { return matcher }

// Options tune the service. Zero fields take the defaults.
type Options struct {
	// Params are the argon2id parameters of new password hashes
	// (staff.DefaultParams; staff.TestParams in tests).
	Params staff.Params
	// CodeTTL is how long a one-time code is valid (default 10 minutes).
	CodeTTL time.Duration
	// SessionTTL is the absolute lifetime of a session (default 12 hours);
	// IdleTimeout ends one not used for this long (default 30 minutes).
	SessionTTL, IdleTimeout time.Duration
	// SecureCookies marks the session cookie Secure behind a TLS proxy.
	SecureCookies bool
}

// Service opens accounts, signs citizens in and keeps their sessions.
type Service struct {
	db     *db.DB
	reg    *register.Register
	guard  *auth.Guard
	audit  *audit.Log
	notify Notifier
	opts   Options
	dummy  string
	now    func() time.Time
	sealer Sealer
	// webauthn is the passkeys' relying party (nil: passkeys off).
	webauthn *webauthn.WebAuthn
	// places is the operator's table of address ranges, for the place of
	// each sign-in.
	places *Places
	// onHandOver is the work of other capabilities when an account is
	// taken from whoever held its credentials (OnHandOver).
	onHandOver []AccountHook
}

// AccountHook is work another capability does inside the transaction that
// takes an account's credentials from whoever held them: a lock by its
// holder, a recovery at the counter, the holder's death, or a change of
// the password (whoever knew the old one is out). An error it returns
// undoes the whole change.
type AccountHook func(ctx context.Context, tx *sql.Tx, h HandOver) error

// HandOver is an account taken from whoever held its credentials, and why.
type HandOver struct {
	AccountID int64
	PIN       string
	Why       string // HandOverLock, HandOverRecovery, HandOverDeath or HandOverPassword
}

// Why an account was taken back (HandOver.Why).
const (
	HandOverLock     = "lock"
	HandOverRecovery = "recovery"
	HandOverDeath    = "death"
	// HandOverPassword: the holder changed the password; what was given
	// under the account (consents) stands, what was held with it
	// (sessions, tokens) ends.
	HandOverPassword = "password"
)

// OnHandOver adds work done when an account is taken back (the OpenID
// provider revokes the tokens its relying parties hold for it and forgets
// the consents given under it). Call it while wiring.
func (s *Service) OnHandOver(h AccountHook) { s.onHandOver = append(s.onHandOver, h) }

// handOver runs the OnHandOver hooks in tx.
func (s *Service) handOver(ctx context.Context, tx *sql.Tx, ho HandOver) error {
	for _, h := range s.onHandOver {
		if err := h(ctx, tx, ho); err != nil {
			return err
		}
	}
	return nil
}

// New returns the service over d, matching registrations through reg's
// guarded reads decided by g, auditing with log, sending one-time codes
// with n. It adds to reg the hook that revokes an account in the
// transaction that registers its holder's death.
func New(d *db.DB, reg *register.Register, g *auth.Guard, log *audit.Log, n Notifier, o Options) *Service {
	if o.Params == (staff.Params{}) {
		o.Params = staff.DefaultParams
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = 10 * time.Minute
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	s := &Service{db: d, reg: reg, guard: g, audit: log, notify: n, opts: o, now: time.Now, places: NewPlaces(d, units.Default())}
	s.dummy, _ = staff.HashPassword("populus-no-such-account", o.Params)
	reg.OnDeath(s.revokeOnDeath)
	return s
}

// hashPassword hashes a password a citizen chose (argon2id: tens of
// milliseconds and megabytes each): called only once the throttle has
// let the attempt through, never for one it refuses. A variable, so that
// the tests count its calls.
var hashPassword = staff.HashPassword

// SetClock replaces the service's clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Places is the operator's table of address ranges that places sign-ins.
func (s *Service) Places() *Places { return s.places }
