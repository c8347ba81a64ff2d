// Package usage is "who used my data": for the signed-in person, every
// access to their data that the audit log holds (one log, so coverage is by
// construction), each with the organisation, purpose, legal basis, fields,
// time and outcome; an API in the spirit of GovStack's
// MyPersonalDataUsage and Estonia's findUsage(offset, limit), and a portal
// page.
//
// Law enforcement may flag an access as covert until a disclosure date,
// with a legal basis: it is hidden from the person until then and shown
// with a note after. The flagging is audited, and each view's own entry
// says how many were withheld (not which): one entry a view, whatever it
// withheld, so that the log's size tells nothing of a flag.
package usage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
)

//go:embed migrations
var migrations embed.FS

// Schema is the capability's tables.
var Schema = &db.Schema{Name: "usage", FS: migrations, Requires: []*db.Schema{audit.Schema}}

// Actions of the capability.
var (
	// FlagCovert is a police officer's flag on an access: covert until a
	// date.
	FlagCovert = auth.Declare("usage.covert.flag", auth.Grant{Role: auth.PoliceOfficer})
)

// Audit actions written by the capability.
const (
	ActionView auth.Action = "usage.read"
	// ActionWithheld is the entry views wrote beside their own when they
	// withheld accesses, before the count went into the view's entry: the
	// logs of then hold it.
	ActionWithheld auth.Action = "usage.withheld"
)

// OrganisationOf names the organisation behind an audit actor
// ("member:VN/COM/VCB/EKYC"); the exchange's registry is one.
type OrganisationOf interface {
	OrganisationOf(ctx context.Context, actor string) (name string, ok bool)
}

// Source reads the audit log about one subject with the entries' ids;
// *audit.Reader is one (the read is itself audited there).
type Source interface {
	Read(ctx context.Context, pr auth.Principal, subject string, before int64, limit int) ([]audit.View, int64, error)
}

// Officer describes a staff actor: role and unit, for "an officer of the
// police of Phường Ba Đình" without the officer's name.
type Officer func(ctx context.Context, username string) (role auth.Role, unit string, ok bool)

// Principal is the capability's own principal: it reads the audit log on
// the person's behalf (an auditor attached to the nation, each read
// audited by the log's reader) and writes the entries of withheld accesses.
var Principal = auth.Principal{Kind: auth.KindSystem, Username: "usage", DisplayName: "Ai đã dùng dữ liệu của tôi", Role: auth.Auditor, Unit: "VN"}

// roleNames say an officer's role in words, in Vietnamese (the API's
// language, as the register's).
var roleNames = map[auth.Role]string{
	auth.Registrar:      "Cán bộ tư pháp – hộ tịch",
	auth.PoliceOfficer:  "Công an",
	auth.ServiceOfficer: "Cán bộ một cửa",
	auth.Auditor:        "Thanh tra",
	auth.Admin:          "Quản trị hệ thống",
}

// systemNames name the platform's own principals.
var systemNames = map[string]string{
	"identity": "Định danh điện tử (đối chiếu với Cơ sở dữ liệu quốc gia về dân cư)",
	"consent":  "Quản lý sự đồng ý chia sẻ dữ liệu",
}

// Organisation is who accessed the data.
type Organisation struct {
	// Kind is member, client, officer, system, person or anonymous.
	Kind string `json:"kind"`
	// ID is the subsystem or client id (none for an officer).
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// Role and Unit describe an officer (role, unit code).
	Role string `json:"role,omitempty"`
	Unit string `json:"unit,omitempty"`
}

// Covert is the note on an access once its covert period is over.
type Covert struct {
	Until      time.Time `json:"until"`
	LegalBasis string    `json:"legal_basis"`
}

// Item is one access to the person's data. Logtime, Action and Receiver
// are findUsage's fields.
type Item struct {
	ID           int64        `json:"id"`
	Logtime      time.Time    `json:"logtime"`
	Action       string       `json:"action"`
	Receiver     string       `json:"receiver"`
	Organisation Organisation `json:"organisation"`
	Purpose      string       `json:"purpose,omitempty"`
	// PurposeName is the purpose in words, where it is a code of the data
	// exchange's catalogue.
	PurposeName string   `json:"purpose_name,omitempty"`
	LegalBasis  string   `json:"legal_basis,omitempty"`
	Consent     string   `json:"consent,omitempty"`
	Request     string   `json:"request,omitempty"`
	Fields      []string `json:"fields,omitempty"`
	Outcome     string   `json:"outcome"`
	Covert      *Covert  `json:"covert,omitempty"`
	// Proof is the entry's inclusion proof in the audit log's Merkle tree
	// against its latest signed checkpoint (audit.Proof; check it with the
	// key of GET /api/v1/audit/checkpoint). Absent if it could not be made.
	Proof *audit.Proof `json:"proof,omitempty"`
}

// Page is a page of accesses, newest first.
type Page struct {
	Items      []Item `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Options are the capability's settings.
type Options struct {
	Organisations []OrganisationOf
	Officer       Officer
	// OfficerNames shows an officer's name (the audit actor) where policy
	// allows it; by default an officer is shown by role and unit only.
	OfficerNames bool
	// OnBehalf are the actors (audit actor ids) whose reads of a person are
	// made for another party that the same access records in an entry of
	// its own (the electronic identity's matcher, "system:identity",
	// reads for the citizen's own portal, a relying party's sign-in or
	// verification, a registration): the person sees that entry, not the
	// read beside it twice.
	OnBehalf []string
	// Checks are the actions of a check that the access it is part of
	// records again under the same request (the consent's check: the
	// exchange's refusal names its reason): the person sees the access,
	// not the check beside it.
	Checks []string
	// UnitName names a unit code ("Phường Ba Đình").
	UnitName func(code string) string
	// PurposeName names a purpose code of the data exchange's catalogue
	// ("Định danh khách hàng khi mở tài khoản" for KYC); false: not one.
	PurposeName func(ctx context.Context, code string) (string, bool)
	// Reach says whether an officer may flag a person's accesses: within
	// reach as for a read, judged without a read (register.Within: a read
	// would show in the person's list); a refusal recorded under the
	// flag's action. Without it, no flag is taken.
	Reach func(ctx context.Context, pr auth.Principal, pin string) error
}

// Service is the capability.
type Service struct {
	db    *db.DB
	log   *audit.Log
	src   Source
	guard *auth.Guard
	o     Options
	now   func() time.Time
}

// New returns the service over d, reading the log through src, recording
// to log and deciding with g.
func New(d *db.DB, log *audit.Log, src Source, g *auth.Guard, o Options) *Service {
	return &Service{db: d, log: log, src: src, guard: g, o: o, now: time.Now}
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// AddOrganisations adds a source of organisation names (the exchange's
// registry, the OpenID provider's relying parties), tried in order.
func (s *Service) AddOrganisations(o OrganisationOf) {
	s.o.Organisations = append(s.o.Organisations, o)
}

// Limits of a page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	// maxScan bounds the entries one page reads while skipping hidden and
	// the platform's own entries.
	maxScan = 2000
)

// own reports whether e is the person's own act, or the platform's
// bookkeeping of this capability (its reads of the log, the counts of
// withheld entries, the covert flags themselves, which would give the
// flagged access away), none an access by someone else.
func own(e *audit.Entry, pinActor string) bool {
	return e.Actor == pinActor || e.Actor == Principal.ActorID() || e.Action == string(FlagCovert)
}

// onBehalf reports whether e is a read the same access records again in
// an entry naming the party it was for (Options.OnBehalf).
func (s *Service) onBehalf(e *audit.Entry) bool {
	return e.Action == string(auth.ReadPerson) && e.Outcome == audit.OK && slices.Contains(s.o.OnBehalf, e.Actor)
}

type flag struct {
	entry   int64
	request string
	until   time.Time
	basis   string
}

func (s *Service) flags(ctx context.Context, subject string) ([]flag, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT entry_id, request_id, until, legal_basis FROM usage_covert WHERE subject = $1`, subject)
	return db.Collect(rows, err, func(sc db.Scanner) (flag, error) {
		var f flag
		err := sc.Scan(&f.entry, &f.request, db.Time{T: &f.until}, &f.basis)
		return f, err
	})
}

func covertOf(flags []flag, id int64, request string) *flag {
	var found *flag
	for i := range flags {
		f := &flags[i]
		// An entry's flag is its id's; a request's hides the request's
		// entries up to the last there was when it was flagged.
		if (f.request == "" && f.entry == id) || (f.request != "" && f.request == request && id <= f.entry) {
			if found == nil || f.until.After(found.until) {
				found = f
			}
		}
	}
	return found
}

// Usage returns to the signed-in person the accesses to their data, newest
// first, at most limit, before the cursor of the previous page. Covert
// accesses are left out until their date; if any were, one entry records
// how many.
func (s *Service) Usage(ctx context.Context, pr auth.Principal, cursor string, limit int) (Page, error) {
	return s.usage(ctx, pr, cursor, 0, limit)
}

// MaxOffset bounds FindUsage's offset.
const MaxOffset = 1000

// FindUsage is Usage paged as Estonia's findUsage(offset, limit): the
// accesses after the first offset shown (at most MaxOffset), newest first.
func (s *Service) FindUsage(ctx context.Context, pr auth.Principal, offset, limit int) (Page, error) {
	if offset < 0 || offset > MaxOffset {
		return Page{}, problem.Field("offset", "must be a whole number from 0 to %d", MaxOffset)
	}
	return s.usage(ctx, pr, "", offset, limit)
}

func (s *Service) usage(ctx context.Context, pr auth.Principal, cursor string, skip, limit int) (Page, error) {
	if pr.Kind != auth.KindCitizen || pr.Username == "" {
		return Page{}, problem.New(problem.Forbidden, "only the person may see who used their data")
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var before int64
	if cursor != "" {
		if _, err := fmt.Sscanf(cursor, "%d", &before); err != nil || before <= 0 || fmt.Sprint(before) != cursor {
			return Page{}, problem.Field("cursor", "not a cursor this API returned")
		}
	}
	subject := pr.Username
	flags, err := s.flags(ctx, subject)
	if err != nil {
		return Page{}, err
	}
	now := s.now()
	out := Page{Items: []Item{}}
	withheld, scanned, full := 0, 0, false
	// accesses are the (actor, request) of the entries read so far, newest
	// first, with their actions: a check recorded before its access is met
	// after it; a repeat of an access under one request (a change event's
	// delivery tried again) is met after the last try.
	accesses := map[[2]string][]string{}
	// hidden reports whether v is not shown as an access of its own.
	hidden := func(v *audit.View) bool {
		if own(&v.Entry, pr.ActorID()) || s.onBehalf(&v.Entry) {
			return true
		}
		if v.Request != "" {
			key := [2]string{v.Actor, v.Request}
			seen := accesses[key]
			if len(seen) > 0 && (slices.Contains(s.o.Checks, v.Action) || slices.Contains(seen, v.Action)) {
				return true
			}
			accesses[key] = append(seen, v.Action)
		}
		return false
	}
	// A full page goes on through the entries hidden after its last item
	// (the check of that item's access, recorded before it), so that the
	// next page, which does not know that access, does not show them.
	more := true
	for more && scanned < maxScan {
		views, last, err := s.src.Read(ctx, Principal, subject, before, MaxLimit)
		if err != nil {
			return Page{}, err
		}
		for i := range views {
			v := &views[i]
			hide := hidden(v)
			if full && !hide {
				more = false // the next page begins here
				break
			}
			scanned++
			before = v.ID
			if hide {
				continue
			}
			it := s.item(ctx, *v)
			if f := covertOf(flags, v.ID, v.Request); f != nil {
				if now.Before(f.until) {
					withheld++
					continue
				}
				it.Covert = &Covert{Until: f.until, LegalBasis: f.basis}
			}
			if skip > 0 {
				skip--
				continue
			}
			out.Items = append(out.Items, it)
			full = len(out.Items) == limit
		}
		if more && last == 0 {
			before = 0 // the last page
			break
		}
	}
	if before > 0 {
		out.NextCursor = fmt.Sprint(before)
	}
	// The view is recorded before it is answered, with what it withheld:
	// a second entry when it withheld any (as before) grew the log by one
	// more a view, which the public checkpoint's size told the person.
	view := audit.Of(pr, ActionView, subject)
	if withheld > 0 {
		view = view.With(fmt.Sprintf("%d covert accesses withheld from the person's view", withheld))
	}
	if err := s.log.Record(ctx, view); err != nil {
		return Page{}, err
	}
	s.prove(ctx, out.Items)
	return out, nil
}

// item is the view of one entry, with its organisation.
func (s *Service) item(ctx context.Context, v audit.View) Item {
	org := s.organisation(ctx, v.Actor)
	it := Item{ID: v.ID, Logtime: v.At, Action: v.Action, Receiver: org.Name, Organisation: org, Purpose: v.Purpose,
		LegalBasis: v.LegalBasis, Consent: v.Consent, Request: v.Request, Fields: v.Fields, Outcome: v.Outcome}
	if s.o.PurposeName != nil && v.Purpose != "" {
		it.PurposeName, _ = s.o.PurposeName(ctx, v.Purpose)
	}
	return it
}

// prove gives the items shown their inclusion proofs (redacted: the leaf's
// hash), against one checkpoint; if they cannot be made the items go
// without (logged).
func (s *Service) prove(ctx context.Context, items []Item) {
	if len(items) == 0 {
		return
	}
	ids := make([]int64, len(items))
	for i := range items {
		ids[i] = items[i].ID
	}
	ps, err := s.log.ProveAll(ctx, ids)
	if err != nil {
		slog.Warn("no inclusion proofs for the audit entries shown to their subject", "entries", len(ids), "err", err)
		return
	}
	for i := range items {
		// The leaf's hash, not the leaf: the entry names more than the
		// item shows (an officer's account, the caller's address).
		p := ps[i].Redacted()
		items[i].Proof = &p
	}
}

// organisation names actor: a subsystem or a relying party by the
// registries' names, an officer by role and unit (by name only where
// policy allows), the platform as itself.
func (s *Service) organisation(ctx context.Context, actor string) Organisation {
	kind, name, _ := strings.Cut(actor, ":")
	org := Organisation{Kind: kind, ID: name, Name: name}
	switch auth.Kind(kind) {
	case auth.KindMember, auth.KindClient:
		for _, o := range s.o.Organisations {
			if n, ok := o.OrganisationOf(ctx, actor); ok {
				org.Name = n
				break
			}
		}
	case auth.KindStaff:
		org = Organisation{Kind: "officer", Name: "Cán bộ"}
		if s.o.Officer != nil {
			if role, unit, ok := s.o.Officer(ctx, name); ok {
				org.Role, org.Unit = string(role), unit
				if n, ok := roleNames[role]; ok {
					org.Name = n
				}
				if s.o.UnitName != nil && unit != "" {
					org.Name += ", " + s.o.UnitName(unit)
				}
			}
		}
		if s.o.OfficerNames {
			org.ID = name
		}
	case auth.KindSystem:
		org.Kind, org.Name = "system", "Hệ thống Populus"
		if n, ok := systemNames[name]; ok {
			org.Name = n
		}
	case auth.KindCitizen:
		org = Organisation{Kind: "person", Name: "Công dân khác"}
	default:
		// "anonymous": someone not signed in (a registration naming the PIN).
		org = Organisation{Kind: "anonymous", Name: "Người chưa đăng nhập"}
	}
	return org
}

// CovertFlag is a police officer's flag on an access to Subject's data:
// named by its audit entry id or its request id.
type CovertFlag struct {
	Subject    string `json:"subject"`
	EntryID    int64  `json:"entry_id,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
	Until      string `json:"until"`
	LegalBasis string `json:"legal_basis"`
}

// CovertFlagged is a stored flag.
type CovertFlagged struct {
	ID int64 `json:"id"`
	CovertFlag
	FlaggedBy string    `json:"flagged_by"`
	CreatedAt time.Time `json:"created_at"`
}

// MaxCovert is the longest a flag may hide an access.
const MaxCovert = 5 * 365 * 24 * time.Hour

// Validate checks a flag (trimming its legal basis), collecting every
// error, and returns when it ends: the end of its date, Vietnam time.
func (in *CovertFlag) Validate(now time.Time) (time.Time, error) {
	var f problem.Fields
	if _, _, err := pin.Parse(in.Subject); err != nil {
		f.Add("subject", "must be a 12-digit personal identification number")
	}
	switch {
	case in.EntryID < 0:
		f.Add("entry_id", "must be an audit entry id")
	case (in.EntryID == 0) == (in.RequestID == ""):
		f.Add("entry_id", "give the audit entry id or the request id, one of them")
	case len(in.RequestID) > 200 || !utf8.ValidString(in.RequestID):
		f.Add("request_id", "must have at most 200 characters")
	}
	in.LegalBasis = strings.TrimSpace(in.LegalBasis)
	if n := utf8.RuneCountInString(in.LegalBasis); n < 3 || n > 300 || !utf8.ValidString(in.LegalBasis) {
		f.Add("legal_basis", "must have 3 to 300 characters")
	}
	vn := time.FixedZone("ICT", 7*3600)
	day, err := time.ParseInLocation("2006-01-02", in.Until, vn)
	until := day.AddDate(0, 0, 1)
	switch {
	case err != nil:
		f.Add("until", "must be a date, YYYY-MM-DD")
	case !until.After(now):
		f.Add("until", "must be a date to come")
	case until.Sub(now) > MaxCovert:
		f.Add("until", "must be within 5 years")
	}
	return until, f.Err()
}

// Flag hides an access from the person until in.Until (a date, hidden
// through that day, Vietnam time), with its legal basis. The flag is
// audited against the person.
func (s *Service) Flag(ctx context.Context, pr auth.Principal, in CovertFlag) (CovertFlagged, error) {
	now := s.now()
	until, err := in.Validate(now)
	if err != nil {
		return CovertFlagged{}, err
	}
	if err := s.guard.Check(ctx, pr, FlagCovert, "", in.Subject); err != nil {
		return CovertFlagged{}, err
	}
	// The officer may read the person (the flag hides what the person
	// would see), and flags an access to that person that happened: an
	// entry about them, or a request that made one. A request's flag
	// hides the entries recorded up to it (entry_id, the last of them),
	// not those a caller makes later under the same id.
	if s.o.Reach == nil {
		return CovertFlagged{}, problem.New(problem.Forbidden, "covert flags are not enabled on this server")
	}
	if err := s.o.Reach(ctx, pr, in.Subject); err != nil {
		return CovertFlagged{}, err
	}
	last, err := s.log.LastAbout(ctx, in.Subject, in.EntryID, in.RequestID)
	if err != nil {
		return CovertFlagged{}, err
	}
	if last == 0 {
		// The answer tells the officer something of the person's log:
		// recorded (under the flag's action, hidden from the person).
		err := problem.Field("entry_id", "no access to this person with this entry id")
		if in.RequestID != "" {
			err = problem.Field("request_id", "no access to this person under this request")
		}
		if rerr := s.log.Record(ctx, audit.Of(pr, FlagCovert, in.Subject).Failing(err.Error())); rerr != nil {
			return CovertFlagged{}, rerr
		}
		return CovertFlagged{}, err
	}
	out := CovertFlagged{CovertFlag: in, FlaggedBy: pr.ActorID(), CreatedAt: now.UTC()}
	what := fmt.Sprintf("entry %d", in.EntryID)
	if in.RequestID != "" {
		what = "request " + in.RequestID
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO usage_covert (subject, entry_id, request_id, until, legal_basis, flagged_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, in.Subject, last, in.RequestID, db.FormatTime(until.UTC()),
			in.LegalBasis, out.FlaggedBy, db.FormatTime(out.CreatedAt)).Scan(&out.ID); err != nil {
			return err
		}
		return s.log.RecordTx(ctx, tx, audit.Of(pr, FlagCovert, in.Subject).For("", in.LegalBasis, "").
			With(what+" covert until "+in.Until))
	})
	if err != nil {
		return CovertFlagged{}, err
	}
	return out, nil
}
