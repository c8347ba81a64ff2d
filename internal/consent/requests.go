package consent

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// Request is a member's request for a person's consent, shown in the
// person's portal to approve or decline.
type Request struct {
	ID           string    `json:"id"`
	Client       string    `json:"client"`
	ClientName   string    `json:"client_name"`
	Subject      string    `json:"subject"`
	Purpose      string    `json:"purpose"`
	PurposeText  string    `json:"purpose_description"`
	Fields       []string  `json:"fields"`
	ValidUntil   time.Time `json:"valid_until"`
	DataLifeDays int       `json:"data_life_days"`
	Frequency    Frequency `json:"frequency"`
	Reason       string    `json:"reason"`
	Status       string    `json:"status"`
	ConsentID    string    `json:"consent_id,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`
}

// Statuses of a request.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestDeclined = "declined"
)

// RequestReceipt is what the member is told of its request: its id and
// status, nothing about the person (whether the PIN is anyone's is not
// revealed).
type RequestReceipt struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	ConsentID string    `json:"consent_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	DecidedAt time.Time `json:"decided_at,omitzero"`
}

func member(pr auth.Principal) error {
	if pr.Kind != auth.KindMember || !ValidClient(pr.Username) {
		return problem.New(problem.Forbidden, "only a subsystem of the data-exchange platform may ask for consent")
	}
	return nil
}

// maxDeclinedPerPair requests of a subsystem a person declined in
// declinedWindow stop its further requests to that person until they age.
const (
	maxDeclinedPerPair = 2
	declinedWindow     = 30 * 24 * time.Hour
)

// Ask records the member's request for g.Subject's consent to its
// subsystem, pending until the person decides. The answer is the same
// whether or not the PIN is a person's; at most 3 requests of a subsystem
// to a person are pending at once.
func (s *Store) Ask(ctx context.Context, pr auth.Principal, g Grant) (RequestReceipt, error) {
	if err := member(pr); err != nil {
		return RequestReceipt{}, err
	}
	now := s.now().UTC()
	if err := g.Validate(now, true); err != nil {
		return RequestReceipt{}, err
	}
	if s.entitled != nil {
		if err := s.entitled.Entitled(ctx, pr.Username, g.Purpose, g.Fields); err != nil {
			s.log.Record(ctx, audit.Of(pr, ActionRequest, g.Subject).For(g.Purpose, "", "").Disclosing(g.Fields...).Refused(problem.BodyOf(err, "").Detail))
			return RequestReceipt{}, err
		}
	}
	name := pr.DisplayName
	if n, ok := s.clientName(ctx, pr.Username); ok && n != pr.Username {
		name = n
	}
	if name == "" {
		name = pr.Username
	}
	out := RequestReceipt{ID: newID("crq-"), Status: RequestPending, CreatedAt: now}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM consent_requests WHERE client = $1 AND subject = $2 AND status = $3`,
			pr.Username, g.Subject, RequestPending).Scan(&n); err != nil {
			return err
		}
		if n >= maxPendingPerPair {
			return problem.New(problem.RateLimited, "%d requests of this subsystem to this person are already pending", n)
		}
		// A person who said no is not asked again and again.
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM consent_requests WHERE client = $1 AND subject = $2 AND status = $3 AND decided_at > $4`,
			pr.Username, g.Subject, RequestDeclined, db.FormatTime(now.Add(-declinedWindow))).Scan(&n); err != nil {
			return err
		}
		if n >= maxDeclinedPerPair {
			return problem.New(problem.RateLimited, "the person declined %d requests of this subsystem in the last 30 days", n)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_requests (id, subject, client, client_name, purpose, purpose_text, fields,
			valid_until, data_life_days, freq_max, freq_period, reason, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			out.ID, g.Subject, pr.Username, name, g.Purpose, g.PurposeText, strings.Join(g.Fields, ","), db.FormatTime(g.ValidUntil),
			g.DataLifeDays, g.Frequency.Max, g.Frequency.Period, g.Reason, RequestPending, db.FormatTime(now)); err != nil {
			return err
		}
		return s.log.RecordTx(ctx, tx, audit.Of(pr, ActionRequest, g.Subject).For(g.Purpose, "", "").
			Disclosing(g.Fields...).With("request "+out.ID))
	})
	return out, err
}

// RequestStatus tells the member how its request stands.
func (s *Store) RequestStatus(ctx context.Context, pr auth.Principal, id string) (RequestReceipt, error) {
	if err := member(pr); err != nil {
		return RequestReceipt{}, err
	}
	var out RequestReceipt
	var decided string
	err := s.db.QueryRowContext(ctx, `SELECT id, status, consent_id, created_at, decided_at FROM consent_requests WHERE id = $1 AND client = $2`,
		id, pr.Username).Scan(&out.ID, &out.Status, &out.ConsentID, db.Time{T: &out.CreatedAt}, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return out, problem.New(problem.NotFound, "no request %s of this subsystem", id)
	}
	if err == nil && decided != "" {
		out.DecidedAt, err = db.ParseTime(decided)
	}
	return out, err
}

const requestCols = `id, client, client_name, subject, purpose, purpose_text, fields, valid_until, data_life_days, freq_max, freq_period,
	reason, status, consent_id, created_at, decided_at`

func scanRequest(sc db.Scanner) (Request, error) {
	var r Request
	var fields, decided string
	err := sc.Scan(&r.ID, &r.Client, &r.ClientName, &r.Subject, &r.Purpose, &r.PurposeText, &fields, db.Time{T: &r.ValidUntil},
		&r.DataLifeDays, &r.Frequency.Max, &r.Frequency.Period, &r.Reason, &r.Status, &r.ConsentID, db.Time{T: &r.CreatedAt}, &decided)
	if err != nil {
		return r, err
	}
	r.Fields = strings.Split(fields, ",")
	if decided != "" {
		r.DecidedAt, err = db.ParseTime(decided)
	}
	return r, err
}

// Requests lists the requests pending for the holder's decision, newest
// first.
func (s *Store) Requests(ctx context.Context, pr auth.Principal) ([]Request, error) {
	if err := holder(pr); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+requestCols+` FROM consent_requests WHERE subject = $1 AND status = $2
		ORDER BY created_at DESC, id LIMIT $3`, pr.Username, RequestPending, listLimit)
	out, err := db.Collect(rows, err, scanRequest)
	if out == nil {
		out = []Request{}
	}
	return out, err
}

// Decide approves (giving the consent asked for, a new record or version)
// or declines the holder's pending request id.
func (s *Store) Decide(ctx context.Context, pr auth.Principal, id string, approve bool) (Request, error) {
	if err := holder(pr); err != nil {
		return Request{}, err
	}
	now := s.now().UTC()
	if _, err := s.keys.active(ctx); err != nil {
		return Request{}, err
	}
	var out Request
	defer s.live.changed() // an approval may give new terms to a record
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		q, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestCols+` FROM consent_requests WHERE id = $1 AND subject = $2`+s.forUpdate(),
			id, pr.Username))
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "no request %s on your account", id)
		}
		if err != nil {
			return err
		}
		if q.Status != RequestPending {
			return problem.New(problem.Conflict, "request %s was already %s", id, q.Status)
		}
		q.Status, q.DecidedAt = RequestDeclined, now
		if approve {
			if !q.ValidUntil.After(now) {
				return problem.New(problem.Conflict, "request %s asked for a consent that has already ended", id)
			}
			g := Grant{Client: q.Client, Purpose: q.Purpose, PurposeText: q.PurposeText, Fields: q.Fields, ValidUntil: q.ValidUntil,
				DataLifeDays: q.DataLifeDays, Frequency: q.Frequency}
			r, err := s.put(ctx, tx, pr.Username, q.ClientName, g, MethodRequest, now)
			if err != nil {
				return err
			}
			q.Status, q.ConsentID = RequestApproved, r.ID
			if err := s.log.RecordTx(ctx, tx, audit.Of(pr, ActionGive, pr.Username).For(q.Purpose, "consent", r.ID).
				Disclosing(r.Fields...).With("request "+q.ID+" of "+q.Client)); err != nil {
				return err
			}
		} else if err := s.log.RecordTx(ctx, tx, audit.Of(pr, ActionDecline, pr.Username).For(q.Purpose, "", "").
			With("request "+q.ID+" of "+q.Client)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE consent_requests SET status = $2, consent_id = $3, decided_at = $4 WHERE id = $1`,
			q.ID, q.Status, q.ConsentID, db.FormatTime(now)); err != nil {
			return err
		}
		out = q
		return nil
	})
	return out, err
}

// Version is one signed version of a record.
type Version struct {
	Version   int       `json:"version"`
	Receipt   string    `json:"receipt"`
	CreatedAt time.Time `json:"created_at"`
}

// Receipts returns every signed version of consent id, oldest first: to
// its holder, or to an auditor attached to the nation (the read recorded
// against the person).
func (s *Store) Receipts(ctx context.Context, pr auth.Principal, id string) ([]Version, error) {
	var subject string
	err := s.db.QueryRowContext(ctx, `SELECT subject FROM consent_records WHERE id = $1`, id).Scan(&subject)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	notFound := problem.New(problem.NotFound, "no consent %s", id)
	switch pr.Kind {
	case auth.KindCitizen:
		if subject == "" || subject != pr.Username {
			return nil, notFound
		}
	default:
		if err := s.guard.Role(ctx, pr, ReadReceipts, subject); err != nil {
			return nil, err
		}
		if subject == "" {
			return nil, notFound
		}
		if err := s.guard.Check(ctx, pr, ReadReceipts, "", subject); err != nil {
			return nil, err
		}
	}
	if err := s.log.Record(ctx, audit.Of(pr, ActionReceipt, subject).For("", "", id)); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, receipt, created_at FROM consent_versions WHERE consent_id = $1 ORDER BY version`, id)
	return db.Collect(rows, err, func(sc db.Scanner) (Version, error) {
		var v Version
		err := sc.Scan(&v.Version, &v.Receipt, db.Time{T: &v.CreatedAt})
		return v, err
	})
}
