// Package consent keeps citizens' consents to the data-exchange platform's
// members: for a purpose the law does not mandate (a bank's KYC, an
// insurer's check) a subsystem may read a person's data only under a
// consent record the person gave, in the citizen portal or through the
// API, or approved when the member asked for it.
//
// A record carries the fields of a Kantara consent receipt (ISO/IEC TS
// 27560): version, receipt id, time, PII principal, controller, purpose
// with its legal basis, PII categories (the field names), jurisdiction,
// collection method, termination; plus its validity (from, until), its
// data life (how long the recipient may keep what it receives) and its
// frequency (at most so many uses per day, week, month or year). Every
// change makes a new version, signed (JWS, ES256) under a key of the
// platform sealed by the master key; the history is kept and each version
// verifies on its own (Verify). Revoking stops access at once: every
// check that starts after the revocation commits is refused.
package consent

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/textfold"
)

//go:embed migrations
var migrations embed.FS

// Schema is the capability's tables.
var Schema = &db.Schema{Name: "consent", FS: migrations, Requires: []*db.Schema{audit.Schema}}

// Audit actions of the capability. A citizen's own acts are recorded
// against themselves; a member's request against the person it names;
// each use a consent allows is recorded by the exchange with the consent's
// id (audit.Entry.Consent).
const (
	ActionGive    auth.Action = "consent.give"
	ActionRevoke  auth.Action = "consent.revoke"
	ActionRequest auth.Action = "consent.request"
	ActionDecline auth.Action = "consent.decline"
	ActionReceipt auth.Action = "consent.receipt"
	ActionRefused auth.Action = "consent.check"
	// ActionEnd is the platform's ending of a person's consents: at their
	// death, or at the recovery of their account.
	ActionEnd auth.Action = "consent.end"
)

// ReadReceipts lets an auditor attached to the nation read any consent's
// signed receipts, to verify them.
var ReadReceipts = auth.Declare("consent.receipts.read", auth.Grant{Role: auth.Auditor, NationOnly: true})

// Periods of a frequency limit.
const (
	Day   = "day"
	Week  = "week"
	Month = "month"
	Year  = "year"
)

// Methods of collection (the receipt's collectionMethod).
const (
	MethodPortal  = "portal"
	MethodAPI     = "api"
	MethodRequest = "member-request"
)

// Limits.
const (
	MaxFields         = 40
	MaxDataLifeDays   = 3650
	MaxValidity       = 5 * 365 * 24 * time.Hour
	MaxUses           = 10000
	maxPurposeText    = 300
	maxReason         = 500
	maxPendingPerPair = 3
	listLimit         = 200
)

// vietnam is the clock of the frequency periods (UTC+7, no daylight
// saving): a month's uses start again at midnight on the first, in Hà Nội.
var vietnam = time.FixedZone("ICT", 7*3600)

// Frequency is how often the data may be fetched under a consent: at most
// Max uses a Period. Max 0 is no limit.
type Frequency struct {
	Max    int    `json:"max"`
	Period string `json:"period,omitempty"`
}

// Record is a consent in force or ended, as its holder and the member see
// it (the PIN is the holder's own; receipts mask it).
type Record struct {
	ID          string    `json:"id"`
	Version     int       `json:"version"`
	Subject     string    `json:"subject"`
	Client      string    `json:"client"`
	ClientName  string    `json:"client_name"`
	Purpose     string    `json:"purpose"`
	PurposeText string    `json:"purpose_description"`
	Fields      []string  `json:"fields"`
	ValidFrom   time.Time `json:"valid_from"`
	ValidUntil  time.Time `json:"valid_until"`
	// DataLifeDays is how long the recipient may keep what it received.
	DataLifeDays int       `json:"data_life_days"`
	Frequency    Frequency `json:"frequency"`
	Method       string    `json:"collection_method"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	// EndedBy is what ended the consent other than its holder's
	// withdrawal (EndedByDeath), at RevokedAt; empty otherwise.
	EndedBy string `json:"ended_by,omitempty"`
	// Status is active, revoked, ended or expired.
	Status string `json:"status"`
}

// Statuses of a record.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
	StatusEnded   = "ended"
	StatusExpired = "expired"
)

// What ended a consent other than its holder's withdrawal (Record.EndedBy):
// the holder's death; the account's recovery at the counter, which takes
// it from whoever held it (who may have given the consent).
const (
	EndedByDeath    = "death"
	EndedByRecovery = "recovery"
)

func (r *Record) status(now time.Time) string {
	switch {
	case !r.RevokedAt.IsZero() && r.EndedBy != "":
		return StatusEnded
	case !r.RevokedAt.IsZero():
		return StatusRevoked
	case !now.Before(r.ValidUntil):
		return StatusExpired
	}
	return StatusActive
}

// Terms are what a consent tells the recipient of the data: its id and how
// long the data may be kept.
type Terms struct {
	ConsentID    string
	DataLifeDays int
	// DeleteBy is when the recipient must have deleted what it received now.
	DeleteBy time.Time
}

// Grant is a consent as its holder gives it (the portal's form, the
// citizen API) or as a member asks for it (Request).
type Grant struct {
	// Client is the subsystem (X-Road id, VN/COM/VCB/EKYC); ignored in a
	// member's request, which is for the member's own subsystem.
	Client string `json:"client,omitempty"`
	// Subject is the person's PIN: in a member's request only.
	Subject string `json:"subject,omitempty"`
	Purpose string `json:"purpose"`
	// PurposeText says the purpose in words, as the citizen reads it.
	PurposeText  string    `json:"purpose_description"`
	Fields       []string  `json:"fields"`
	ValidUntil   time.Time `json:"valid_until"`
	DataLifeDays int       `json:"data_life_days"`
	Frequency    Frequency `json:"frequency"`
	// Reason is the member's message to the citizen (requests only).
	Reason string `json:"reason,omitempty"`
}

var (
	clientRE  = regexp.MustCompile(`^[A-Z]{2}/[A-Z]{2,8}/[A-Za-z0-9._-]{1,64}/[A-Za-z0-9._-]{1,64}$`)
	purposeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,63}$`)
	fieldRE   = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,63}$`)
)

// ValidClient reports whether s is a subsystem's identifier
// (INSTANCE/CLASS/MEMBER/SUBSYSTEM).
func ValidClient(s string) bool { return clientRE.MatchString(s) }

// Validate checks g and normalises it (trimmed, UTC), collecting every
// error; member says whether it is a member's request (a subject, no
// client) or the holder's grant (a client).
func (g *Grant) Validate(now time.Time, member bool) error {
	var f problem.Fields
	g.Purpose = strings.TrimSpace(g.Purpose)
	g.PurposeText = strings.TrimSpace(g.PurposeText)
	g.Reason = strings.TrimSpace(g.Reason)
	if member {
		if _, _, err := pin.Parse(g.Subject); err != nil {
			f.Add("subject", "must be a 12-digit personal identification number")
		}
		if g.Client != "" {
			f.Add("client", "must be left out: a request is for the calling subsystem")
		}
	} else {
		g.Client = strings.TrimSpace(g.Client)
		if !ValidClient(g.Client) {
			f.Add("client", "must be a subsystem identifier such as VN/COM/VCB/EKYC")
		}
		if g.Subject != "" {
			f.Add("subject", "must be left out: a consent is given by its holder")
		}
		if g.Reason != "" {
			f.Add("reason", "is for a member's request only")
		}
	}
	if !purposeRE.MatchString(g.Purpose) {
		f.Add("purpose", "must be a purpose code of 2 to 64 capital letters, digits and hyphens")
	}
	if n := utf8.RuneCountInString(g.PurposeText); n == 0 || n > maxPurposeText || !utf8.ValidString(g.PurposeText) {
		f.Add("purpose_description", "must have 1 to %d characters", maxPurposeText)
	}
	if len(g.Fields) == 0 || len(g.Fields) > MaxFields {
		f.Add("fields", "must name 1 to %d fields", MaxFields)
	} else {
		seen := map[string]bool{}
		for i, x := range g.Fields {
			if !fieldRE.MatchString(x) {
				f.Add(fmt.Sprintf("fields[%d]", i), "must be a field name of lower-case letters, digits, _ and .")
			} else if seen[x] {
				f.Add(fmt.Sprintf("fields[%d]", i), "is named twice")
			}
			seen[x] = true
		}
	}
	switch {
	case g.ValidUntil.IsZero():
		f.Add("valid_until", "is required")
	case !g.ValidUntil.After(now):
		f.Add("valid_until", "must be in the future")
	case g.ValidUntil.Sub(now) > MaxValidity:
		f.Add("valid_until", "must be within 5 years")
	}
	if g.DataLifeDays < 0 || g.DataLifeDays > MaxDataLifeDays {
		f.Add("data_life_days", "must be 0 (do not keep) to %d days", MaxDataLifeDays)
	}
	switch {
	case g.Frequency.Max < 0 || g.Frequency.Max > MaxUses:
		f.Add("frequency.max", "must be 0 (no limit) to %d", MaxUses)
	case g.Frequency.Max > 0 && !slices.Contains([]string{Day, Week, Month, Year}, g.Frequency.Period):
		f.Add("frequency.period", "must be day, week, month or year")
	case g.Frequency.Max == 0 && g.Frequency.Period != "":
		f.Add("frequency.period", "must be left out without a maximum")
	}
	if utf8.RuneCountInString(g.Reason) > maxReason || !utf8.ValidString(g.Reason) {
		f.Add("reason", "must have at most %d characters", maxReason)
	}
	// What the citizen reads is what it says: no direction overrides or
	// invisible characters.
	if strings.ContainsFunc(g.PurposeText, textfold.Invisible) {
		f.Add("purpose_description", "must not hold invisible or text-direction characters")
	}
	if strings.ContainsFunc(g.Reason, textfold.Invisible) {
		f.Add("reason", "must not hold invisible or text-direction characters")
	}
	g.ValidUntil = g.ValidUntil.UTC()
	return f.Err()
}

// Organisations names subsystems (the exchange's registry).
type Organisations interface {
	OrganisationOf(ctx context.Context, actor string) (name string, ok bool)
}

// Entitlements says whether a subsystem's rights let it call for a
// purpose, disclosing fields: a consent it asks a citizen for must be one
// it could use (the exchange is one).
type Entitlements interface {
	Entitled(ctx context.Context, subsystem, purpose string, fields []string) error
}

// Store is the capability over its tables.
type Store struct {
	db       *db.DB
	log      *audit.Log
	guard    *auth.Guard
	keys     *keyring
	orgs     Organisations
	entitled Entitlements
	site     string
	now      func() time.Time
	// live remembers the records Authorize has read (cache.go).
	live *liveRecords
	// uses counts the uses of limited consents (uses.go).
	uses *useCounter
}

// SetSiteURL makes the receipts' policy URL absolute, on the site whose
// public URL is base (without it, a path).
func (s *Store) SetSiteURL(base string) { s.site = strings.TrimRight(base, "/") }

// SetEntitlements makes Ask refuse a request its subsystem's rights do not
// cover; without it, any well-formed request is taken.
func (s *Store) SetEntitlements(e Entitlements) { s.entitled = e }

// Sealer seals the signing keys at rest; the master key (oidc.MasterKey)
// is one.
type Sealer interface {
	Seal(purpose string, plaintext, ad []byte) (string, error)
	Open(purpose, sealed string, ad []byte) ([]byte, error)
}

// New returns the store over d, recording to log, deciding with g, its
// signing key sealed by master.
func New(d *db.DB, log *audit.Log, g *auth.Guard, master Sealer) *Store {
	s := &Store{db: d, log: log, guard: g, now: time.Now, live: newLiveRecords(), uses: &useCounter{db: d}}
	s.keys = &keyring{db: d, master: master, now: func() time.Time { return s.now() }}
	return s
}

// Now is the store's clock's time (a form checks a grant against it).
func (s *Store) Now() time.Time { return s.now() }

// SetClock replaces the clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// SetOrganisations gives the store the names of subsystems; without it a
// consent names its subsystem by its identifier.
func (s *Store) SetOrganisations(o Organisations) { s.orgs = o }

func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (s *Store) forUpdate() string {
	if s.db.Engine == db.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// clientName is the subsystem's name, or its id.
func (s *Store) clientName(ctx context.Context, client string) (string, bool) {
	if s.orgs == nil {
		return client, true
	}
	return s.orgs.OrganisationOf(ctx, auth.ActorID(auth.KindMember, client))
}

func holder(pr auth.Principal) error {
	if pr.Kind != auth.KindCitizen || pr.Username == "" {
		return problem.New(problem.Forbidden, "only the person may manage their consents")
	}
	return nil
}

const recordCols = `id, version, subject, client, client_name, purpose, purpose_text, fields, valid_from, valid_until,
	data_life_days, freq_max, freq_period, method, created_at, updated_at, revoked_at, ended_by`

func scanRecord(sc db.Scanner) (Record, error) {
	var r Record
	var fields, revoked string
	err := sc.Scan(&r.ID, &r.Version, &r.Subject, &r.Client, &r.ClientName, &r.Purpose, &r.PurposeText, &fields,
		db.Time{T: &r.ValidFrom}, db.Time{T: &r.ValidUntil}, &r.DataLifeDays, &r.Frequency.Max, &r.Frequency.Period,
		&r.Method, db.Time{T: &r.CreatedAt}, db.Time{T: &r.UpdatedAt}, &revoked, &r.EndedBy)
	if err != nil {
		return r, err
	}
	r.Fields = strings.Split(fields, ",")
	if revoked != "" {
		if r.RevokedAt, err = db.ParseTime(revoked); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Give records the holder's consent to g.Client for g.Purpose: a new
// record, or a new version of the record they gave that subsystem for that
// purpose (its terms replaced, a revoked one in force again). The version
// is signed before anything is stored.
func (s *Store) Give(ctx context.Context, pr auth.Principal, g Grant) (Record, error) {
	if err := holder(pr); err != nil {
		return Record{}, err
	}
	now := s.now().UTC()
	if err := g.Validate(now, false); err != nil {
		return Record{}, err
	}
	name, ok := s.clientName(ctx, g.Client)
	if !ok {
		return Record{}, problem.Field("client", "is not a subsystem of the platform")
	}
	// A consent the subsystem's rights could not use (a purpose or a
	// field it holds none for) is refused as a member's request is: it
	// would replace a consent in force with one that serves nothing.
	if s.entitled != nil {
		if err := s.entitled.Entitled(ctx, g.Client, g.Purpose, g.Fields); err != nil {
			return Record{}, err
		}
	}
	if _, err := s.keys.active(ctx); err != nil {
		return Record{}, err
	}
	var out Record
	defer s.live.changed()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.put(ctx, tx, pr.Username, name, g, MethodPortal, now)
		if err != nil {
			return err
		}
		return s.log.RecordTx(ctx, tx, audit.Of(pr, ActionGive, pr.Username).For(g.Purpose, "consent", out.ID).
			Disclosing(out.Fields...).With(fmt.Sprintf("to %s, version %d", out.Client, out.Version)))
	})
	return out, err
}

// put stores g as subject's record (new, or the next version), signed.
func (s *Store) put(ctx context.Context, tx *sql.Tx, subject, clientName string, g Grant, method string, now time.Time) (Record, error) {
	old, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordCols+` FROM consent_records
		WHERE subject = $1 AND client = $2 AND purpose = $3`+s.forUpdate(), subject, g.Client, g.Purpose))
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Record{}, err
	}
	r := Record{ID: newID("cr-"), Version: 1, Subject: subject, Client: g.Client, ClientName: clientName, Purpose: g.Purpose,
		PurposeText: g.PurposeText, Fields: g.Fields, ValidFrom: now, ValidUntil: g.ValidUntil, DataLifeDays: g.DataLifeDays,
		Frequency: g.Frequency, Method: method, CreatedAt: now, UpdatedAt: now}
	if exists {
		r.ID, r.Version, r.CreatedAt = old.ID, old.Version+1, old.CreatedAt
	}
	r.Status = r.status(now)
	jws, err := s.sign(ctx, &r)
	if err != nil {
		return Record{}, err
	}
	args := []any{r.ID, r.Version, r.Subject, r.Client, r.ClientName, r.Purpose, r.PurposeText, strings.Join(r.Fields, ","),
		db.FormatTime(r.ValidFrom), db.FormatTime(r.ValidUntil), r.DataLifeDays, r.Frequency.Max, r.Frequency.Period, r.Method,
		db.FormatTime(r.CreatedAt), db.FormatTime(r.UpdatedAt)}
	if exists {
		_, err = tx.ExecContext(ctx, `UPDATE consent_records SET version = $2, subject = $3, client = $4, client_name = $5,
			purpose = $6, purpose_text = $7, fields = $8, valid_from = $9, valid_until = $10, data_life_days = $11,
			freq_max = $12, freq_period = $13, method = $14, created_at = $15, updated_at = $16, revoked_at = '', ended_by = ''
			WHERE id = $1`, args...)
	} else {
		_, err = tx.ExecContext(ctx, `INSERT INTO consent_records (`+strings.ReplaceAll(recordCols, ", revoked_at, ended_by", "")+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, args...)
	}
	if err != nil {
		return Record{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO consent_versions (consent_id, version, receipt, created_at) VALUES ($1, $2, $3, $4)`,
		r.ID, r.Version, jws, db.FormatTime(now)); err != nil {
		return Record{}, err
	}
	return r, nil
}

// Revoke ends the holder's consent id at once: the next request under it
// is refused. The revocation is a signed version of its own.
func (s *Store) Revoke(ctx context.Context, pr auth.Principal, id string) (Record, error) {
	if err := holder(pr); err != nil {
		return Record{}, err
	}
	now := s.now().UTC()
	if _, err := s.keys.active(ctx); err != nil {
		return Record{}, err
	}
	var out Record
	defer s.live.changed()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordCols+` FROM consent_records WHERE id = $1 AND subject = $2`+s.forUpdate(), id, pr.Username))
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "no consent %s on your account", id)
		}
		if err != nil {
			return err
		}
		if !r.RevokedAt.IsZero() {
			return problem.New(problem.Conflict, "consent %s is no longer in force", id)
		}
		r.Version++
		r.RevokedAt, r.UpdatedAt = now, now
		r.Status = StatusRevoked
		jws, err := s.sign(ctx, &r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_records SET version = $2, revoked_at = $3, updated_at = $3 WHERE id = $1`,
			r.ID, r.Version, db.FormatTime(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_versions (consent_id, version, receipt, created_at) VALUES ($1, $2, $3, $4)`,
			r.ID, r.Version, jws, db.FormatTime(now)); err != nil {
			return err
		}
		out = r
		return s.log.RecordTx(ctx, tx, audit.Of(pr, ActionRevoke, pr.Username).For(r.Purpose, "consent", r.ID).With("from "+r.Client))
	})
	return out, err
}

// EndAtDeath is the register's death hook (register.OnDeath): inside the
// death's transaction every consent of the deceased that is still to run
// ends, each with a signed version saying so (status ended, ended_by
// death), audited; all committed or undone with the death. From the
// moment the register says a person died, no member reads them under
// their consent, and the refusal says no more than a withdrawal's would.
func (s *Store) EndAtDeath(ctx context.Context, tx *sql.Tx, subject string) error {
	return s.End(ctx, tx, subject, EndedByDeath)
}

// End ends, inside tx, every consent of subject that is still to run, each
// with a signed version saying what ended it (by: EndedByDeath,
// EndedByRecovery), audited as consent.end.
func (s *Store) End(ctx context.Context, tx *sql.Tx, subject, by string) error {
	// Committed by the caller, later: the subject's records are read from
	// the store, not remembered, until well after (cache.go).
	s.live.ending(subject)
	now := s.now().UTC()
	rows, err := tx.QueryContext(ctx, `SELECT `+recordCols+` FROM consent_records
		WHERE subject = $1 AND revoked_at = '' AND valid_until > $2 ORDER BY id`+s.forUpdate(), subject, db.FormatTime(now))
	live, err := db.Collect(rows, err, scanRecord)
	if err != nil {
		return fmt.Errorf("end the consents: %w", err)
	}
	for _, r := range live {
		r.Version++
		r.RevokedAt, r.UpdatedAt, r.EndedBy = now, now, by
		r.Status = StatusEnded
		jws, err := s.sign(ctx, &r)
		if err != nil {
			return fmt.Errorf("end the consents: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_records SET version = $2, revoked_at = $3, updated_at = $3, ended_by = $4 WHERE id = $1`,
			r.ID, r.Version, db.FormatTime(now), r.EndedBy); err != nil {
			return fmt.Errorf("end the consents: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_versions (consent_id, version, receipt, created_at) VALUES ($1, $2, $3, $4)`,
			r.ID, r.Version, jws, db.FormatTime(now)); err != nil {
			return fmt.Errorf("end the consents: %w", err)
		}
		e := audit.OfActor(auth.ActorID(auth.KindSystem, "consent"), ActionEnd, subject).For(r.Purpose, "consent", r.ID).
			With(fmt.Sprintf("to %s, version %d: ended by %s", r.Client, r.Version, by))
		if err := s.log.RecordTx(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Records lists the holder's consents, newest first.
func (s *Store) Records(ctx context.Context, pr auth.Principal) ([]Record, error) {
	if err := holder(pr); err != nil {
		return nil, err
	}
	now := s.now()
	rows, err := s.db.QueryContext(ctx, `SELECT `+recordCols+` FROM consent_records WHERE subject = $1 ORDER BY updated_at DESC, id LIMIT $2`,
		pr.Username, listLimit)
	out, err := db.Collect(rows, err, func(sc db.Scanner) (Record, error) {
		r, err := scanRecord(sc)
		r.Status = r.status(now)
		return r, err
	})
	if out == nil {
		out = []Record{}
	}
	return out, err
}

// refuse is Authorize's refusal: a problem (403) saying why, recorded.
func (s *Store) refuse(ctx context.Context, subject, client, purpose, consentID, why string, fields []string) error {
	e := audit.OfActor(auth.ActorID(auth.KindMember, client), ActionRefused, subject).For(purpose, "consent", consentID).
		Disclosing(fields...).Refused(why)
	s.log.Record(ctx, e)
	return problem.New(problem.Forbidden, "%s", why)
}

// Authorize checks that subject's consent lets client read fields for
// purpose now, and counts the use against its frequency limit. It returns
// the consent's id, or a refusal (problem, 403) saying why: no consent,
// revoked, expired, frequency exceeded, a field not covered. The exchange
// calls it on every request whose purpose needs consent.
//
// The record is read (or remembered: cache.go), then a limited consent's
// use is counted by a statement that adds it only while the period's count
// is under the limit, with the uses that arrive meanwhile (uses.go):
// concurrent calls never exceed it, on either engine. A request whose
// check starts after this store's revocation has committed is refused (in
// another process, within a second).
func (s *Store) Authorize(ctx context.Context, subject, client, purpose string, fields []string) (string, error) {
	now := s.now().UTC()
	id, why, err := s.authorize(ctx, now, subject, client, purpose, fields)
	if err != nil {
		return "", err
	}
	if why != "" {
		return "", s.refuse(ctx, subject, client, purpose, id, why, fields)
	}
	return id, nil
}

func (s *Store) authorize(ctx context.Context, now time.Time, subject, client, purpose string, fields []string) (id, why string, err error) {
	r, err := s.record(ctx, now, subject, client, purpose)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "no consent of the person to " + client + " for purpose " + purpose + " (a member asks for it with POST /api/v1/consent/requests)", nil
	}
	if err != nil {
		return "", "", err
	}
	switch {
	case !r.RevokedAt.IsZero():
		// The same words whether the holder withdrew it or their death
		// ended it: a member without the right to the status must not
		// learn of the death from a refusal.
		return r.ID, "consent " + r.ID + " is no longer in force (withdrawn by the person, or ended)", nil
	case now.Before(r.ValidFrom):
		return r.ID, "consent " + r.ID + " is not valid yet", nil
	case !now.Before(r.ValidUntil):
		return r.ID, "consent " + r.ID + " expired", nil
	}
	for _, f := range fields {
		if !slices.Contains(r.Fields, f) {
			return r.ID, "field " + f + " is not covered by consent " + r.ID, nil
		}
	}
	if r.Frequency.Max == 0 {
		return r.ID, "", nil
	}
	period := periodOf(now, r.Frequency.Period)
	exceeded := fmt.Sprintf("frequency exceeded: consent %s allows %d uses a %s", r.ID, r.Frequency.Max, r.Frequency.Period)
	if key, _ := ctx.Value(useKey{}).(string); key == "" {
		err = s.uses.count(ctx, r.ID, period, r.Frequency.Max)
	} else {
		// A named use: counted with its name, once a period, in one
		// transaction (a use over the limit leaves no name behind).
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM consent_use_keys WHERE consent_id = $1 AND period <> $2`, r.ID, period); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO consent_use_keys (consent_id, period, use_key) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, r.ID, period, key)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // counted before
			}
			return countOne(ctx, tx, r.ID, period, r.Frequency.Max)
		})
	}
	if errors.Is(err, errExceeded) {
		return r.ID, exceeded, nil
	}
	return r.ID, "", err
}

// countUse counts a use of a consent in a period, only while the count is
// under the limit: no row comes back once it is reached.
const countUse = `INSERT INTO consent_uses (consent_id, period, uses) VALUES ($1, $2, 1)
	ON CONFLICT (consent_id, period) DO UPDATE SET uses = consent_uses.uses + 1 WHERE consent_uses.uses < $3
	RETURNING uses`

// errExceeded is a use over the limit (and rolls back a named one).
var errExceeded = errors.New("consent: frequency exceeded")

type useKey struct{}

// WithUse names the use that the authorizations made with ctx are (a
// change event's id): the first counts against a consent's frequency; the
// same name again within the period (a delivery retried, or the event sent
// on a second channel) is authorized without being counted again. Without
// a name, every authorization counts.
func WithUse(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, useKey{}, name)
}

// periodOf is the frequency period holding t, in Vietnam's time: 2026-03-02,
// 2026-W10, 2026-03, 2026.
func periodOf(t time.Time, period string) string {
	t = t.In(vietnam)
	switch period {
	case Day:
		return t.Format("2006-01-02")
	case Week:
		y, w := t.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Year:
		return t.Format("2006")
	}
	return t.Format("2006-01")
}

// TermsOf returns what the recipient of data given under consent id must
// be told: its data life, and when what it receives now must be deleted.
func (s *Store) TermsOf(ctx context.Context, id string) (Terms, error) {
	var days int
	if err := s.db.QueryRowContext(ctx, `SELECT data_life_days FROM consent_records WHERE id = $1`, id).Scan(&days); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Terms{}, problem.New(problem.NotFound, "no consent %s", id)
		}
		return Terms{}, err
	}
	return Terms{ConsentID: id, DataLifeDays: days, DeleteBy: s.now().UTC().Add(time.Duration(days) * 24 * time.Hour)}, nil
}

// Headers tell the recipient of data given under a consent its terms.
const (
	HeaderConsent  = "Populus-Consent-Id"
	HeaderDataLife = "Populus-Data-Life"
	HeaderDeleteBy = "Populus-Data-Delete-By"
)

// Header sets the terms on an answer's header: the consent's id, its data
// life as an ISO 8601 duration (P30D), and the time by which the data must
// be deleted (RFC 3339).
func (t Terms) Header(h interface{ Set(string, string) }) {
	h.Set(HeaderConsent, t.ConsentID)
	h.Set(HeaderDataLife, fmt.Sprintf("P%dD", t.DataLifeDays))
	h.Set(HeaderDeleteBy, t.DeleteBy.UTC().Format(time.RFC3339))
}
