package events

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/egress"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
)

// Delivery channels.
const (
	Webhook = "webhook"
	NATS    = "nats"
)

// Delivery states.
const (
	Active = "active"
	// Dead is the dead-letter state: the channel failed for longer than
	// the dispatcher's DeadAfter; nothing is delivered until it is
	// resumed, from where it stopped.
	Dead = "dead"
)

// Subscription is a member system's subscription to change events.
type Subscription struct {
	ID         int64     `json:"id"`
	Subscriber string    `json:"subscriber"`
	Types      []Type    `json:"types"`
	WebhookURL string    `json:"webhook_url,omitempty"`
	NATS       bool      `json:"nats"`
	AllPeople  bool      `json:"all_people"`
	Purpose    string    `json:"purpose"`
	LegalBasis string    `json:"legal_basis"`
	CreatedAt  time.Time `json:"created_at"`
	// Watched is the number of PINs on the watch list (AllPeople false).
	Watched    int64      `json:"watched"`
	Deliveries []Delivery `json:"deliveries"`
}

// Delivery is the state of one channel of a subscription.
type Delivery struct {
	Channel string `json:"channel"`
	State   string `json:"state"`
	// Subject is the NATS subject the channel publishes to.
	Subject         string     `json:"subject,omitempty"`
	Attempts        int        `json:"attempts"`
	NextAttemptAt   time.Time  `json:"next_attempt_at"`
	FailingSince    *time.Time `json:"failing_since,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	Delivered       int64      `json:"delivered"`
	LastDeliveredAt *time.Time `json:"last_delivered_at,omitempty"`
}

// SubscriptionRequest creates a subscription.
type SubscriptionRequest struct {
	// Subscriber is set only by the platform's own CLI; a member system
	// subscribes for itself.
	Subscriber string   `json:"subscriber,omitempty"`
	Types      []string `json:"types"`
	WebhookURL string   `json:"webhook_url,omitempty"`
	NATS       bool     `json:"nats,omitempty"`
	AllPeople  bool     `json:"all_people,omitempty"`
	Purpose    string   `json:"purpose"`
	LegalBasis string   `json:"legal_basis"`
}

// WatchResult is the answer to a watch-list upload.
type WatchResult struct {
	Read    int64 `json:"read"`
	Changed int64 `json:"changed"`
	Watched int64 `json:"watched"`
}

// Grant is a subscriber's access to people's fields for a purpose, as the
// data exchange decides it (package exchange's *Access, wired in
// cmd/populus): decided once per subscription and batch of deliveries
// (Options.Authorize), then event by event.
type Grant interface {
	// Covers returns nil where the subscriber's rights grant every one of
	// fields for the purpose, else the refusal (a problem).
	Covers(fields ...string) error
	// Fields decides the disclosure of fields of the person pin: the id
	// of the person's consent that allows it ("" where the purpose needs
	// none), or a refusal (a problem: not granted, no consent, revoked,
	// expired, frequency exceeded). Any other error is a failure: the
	// batch is tried again.
	Fields(ctx context.Context, pin string, fields ...string) (consentID string, err error)
	// ConsentRequired reports whether the purpose needs each person's
	// consent.
	ConsentRequired() bool
	// LegalBasis settles the legal basis of the access: given, if it is
	// one of the purpose's; the purpose's one when given is empty;
	// otherwise a refusal (a problem naming "legal_basis").
	LegalBasis(given string) (string, error)
}

// Options configure the service.
type Options struct {
	// NationWide reports whether a subscriber's rights cover every person,
	// so that a member system may subscribe for all people; nil: none
	// does, and members watch lists of their customers. (The data
	// exchange has no right scoped to the nation: cmd/populus leaves it
	// nil, and only the platform's operators, with the CLI, subscribe a
	// member for every person.)
	NationWide func(ctx context.Context, subscriber string) bool
	// Authorize decides deliveries as the data exchange decides a
	// look-up: the subscriber registered and not revoked, its right on the
	// person service for the purpose, then for each event the right to
	// the field the event's type discloses (Type.Field) and the person's
	// consent where the purpose needs it. It is asked once per
	// subscription and batch, and when a subscription is made (where a
	// refusal's field "subsystem" is answered as "subscriber"). A refused
	// event (a problem) is not delivered and the refusal is audited
	// against the person; any other error stops the batch, to be tried
	// again. Nil: the dispatcher delivers nothing (Step fails, Run waits),
	// and subscriptions are not checked.
	Authorize func(ctx context.Context, subscriber, purpose string) (Grant, error)
	// AllowHTTP accepts webhooks over plain HTTP, and lets them reach
	// loopback addresses (the demo and tests); otherwise they must be HTTPS.
	AllowHTTP bool
	// Egress is what webhooks may reach (package egress: no loopback,
	// private, link-local… address unless allowed), checked when a URL is
	// subscribed and on every address dialled.
	Egress egress.Policy
	// NATS reports whether events are published to NATS (--nats or the
	// embedded server); without it NATS delivery is refused.
	NATS bool
	// MaxWatch is the largest watch list of a subscription (default
	// 10,000,000) and MaxWatchUpload the most PINs of one upload (default
	// 100,000, each upload one transaction).
	MaxWatch, MaxWatchUpload int64
	// MaxSubscriptions is the most subscriptions of one subscriber
	// (default 20).
	MaxSubscriptions int
}

// Service manages subscriptions; its Dispatcher delivers them.
type Service struct {
	db    *db.DB
	audit *audit.Log
	opts  Options
	keys  *Keys
}

// New returns the service over d, auditing in log, signing webhooks with
// keys.
func New(d *db.DB, log *audit.Log, keys *Keys, o Options) *Service {
	if o.MaxWatch <= 0 {
		o.MaxWatch = 10_000_000
	}
	if o.MaxWatchUpload <= 0 {
		o.MaxWatchUpload = 100_000
	}
	if o.MaxSubscriptions <= 0 {
		o.MaxSubscriptions = 20
	}
	return &Service{db: d, audit: log, opts: o, keys: keys}
}

// subscriberRE is an X-Road subsystem id: INSTANCE/CLASS/MEMBER/SUBSYSTEM.
var subscriberRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64}){3}$`)

// owner returns the subscriber p acts as: a member system for itself, the
// platform's CLI (a system principal) for the one it names.
func owner(p auth.Principal, named string) (string, error) {
	switch p.Kind {
	case auth.KindMember:
		if named != "" && named != p.Username {
			return "", problem.Field("subscriber", "a member system subscribes for itself only")
		}
		return p.Username, nil
	case auth.KindSystem:
		if !subscriberRE.MatchString(named) {
			return "", problem.Field("subscriber", "must be a subsystem id INSTANCE/CLASS/MEMBER/SUBSYSTEM")
		}
		return named, nil
	}
	return "", problem.New(problem.Forbidden, "only a member system of the data-exchange platform manages change subscriptions")
}

// Subscribe creates a subscription of p (a member system) to the types
// asked, delivered from now on.
func (s *Service) Subscribe(ctx context.Context, p auth.Principal, in SubscriptionRequest) (Subscription, error) {
	var f problem.Fields
	sub := in.Subscriber
	if p.Kind == auth.KindSystem && !subscriberRE.MatchString(sub) {
		f.Add("subscriber", "must be a subsystem id INSTANCE/CLASS/MEMBER/SUBSYSTEM") // named with the others
	} else if s, err := owner(p, in.Subscriber); err != nil {
		return Subscription{}, err
	} else {
		sub = s
	}
	var types []Type
	if len(in.Types) == 0 {
		f.Add("types", "must name at least one of birth, death, name_change, residence_move")
	}
	for _, t := range in.Types {
		switch {
		case !Type(t).Valid():
			f.Add("types", "%q is not one of birth, death, name_change, residence_move", t)
		case slicesContains(types, Type(t)):
			f.Add("types", "%q is named twice", t)
		default:
			types = append(types, Type(t))
		}
	}
	if in.WebhookURL == "" && !in.NATS {
		f.Add("webhook_url", "a webhook URL or NATS delivery (nats: true) is needed")
	}
	if in.WebhookURL != "" {
		s.checkURL(&f, in.WebhookURL)
	}
	if in.NATS && !s.opts.NATS {
		f.Add("nats", "this platform publishes to no NATS cluster")
	}
	if in.AllPeople && p.Kind != auth.KindSystem && (s.opts.NationWide == nil || !s.opts.NationWide(ctx, sub)) {
		f.Add("all_people", "the subscriber's rights do not cover every person: upload a watch list instead")
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Purpose)); n == 0 || n > 100 {
		f.Add("purpose", "must have 1 to 100 characters")
	}
	basis := strings.TrimSpace(in.LegalBasis)
	if n := utf8.RuneCountInString(basis); n > 500 || n == 0 && s.opts.Authorize == nil {
		f.Add("legal_basis", "must have 1 to 500 characters")
	}
	if err := f.Err(); err != nil {
		return Subscription{}, err
	}
	basis, err := s.authorizeSubscription(ctx, sub, strings.TrimSpace(in.Purpose), basis, types, in.AllPeople)
	if err != nil {
		return Subscription{}, err
	}
	now := time.Now().UTC()
	out := Subscription{Subscriber: sub, Types: types, WebhookURL: in.WebhookURL, NATS: in.NATS, AllPeople: in.AllPeople,
		Purpose: strings.TrimSpace(in.Purpose), LegalBasis: basis, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM event_subscriptions WHERE subscriber = $1 AND ended_at = ''`, sub).Scan(&n); err != nil {
			return err
		}
		if n >= s.opts.MaxSubscriptions {
			return problem.New(problem.Conflict, "the subscriber has %d subscriptions, the most allowed", n)
		}
		ts := make([]string, len(types))
		for i, t := range types {
			ts[i] = string(t)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO event_subscriptions (subscriber, types, webhook_url, nats, all_people, purpose, legal_basis, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, sub, strings.Join(ts, ","), out.WebhookURL, b2i(out.NATS), b2i(out.AllPeople),
			out.Purpose, out.LegalBasis, db.FormatTime(now)).Scan(&out.ID); err != nil {
			return err
		}
		// Delivered from the end of the outbox as it stands.
		end, err := endOf(ctx, tx, s.db.Engine)
		if err != nil {
			return err
		}
		for _, ch := range out.channels() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_deliveries (subscription_id, channel, cursor_tx, cursor_seq, state, next_attempt_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, out.ID, ch, end.tx, end.seq, Active, db.FormatTime(now)); err != nil {
				return err
			}
			out.Deliveries = append(out.Deliveries, Delivery{Channel: ch, State: Active, NextAttemptAt: now, Subject: out.subject(ch)})
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(p, actionSubscribe, "").With(fmt.Sprintf("subscription %d of %s to %s", out.ID, sub, strings.Join(ts, ","))))
	})
	if err != nil {
		return Subscription{}, err
	}
	return out, nil
}

// authorizeSubscription checks, when the service decides deliveries
// (Options.Authorize), that sub may receive the types for purpose: the
// subsystem in good standing (else 403 naming "subscriber"), the purpose in
// the catalogue (else 422 naming "purpose") and granted on the person
// service (else 403 naming "purpose"), the field of each type granted
// (else 403 naming "types"), the legal basis one of the purpose's (else
// 422 naming "legal_basis"; none given: the purpose's one, which it
// returns), and no subscription for every person under a purpose that
// needs each person's consent (422 naming "all_people"). So a
// misconfiguration is told at once, not found out at delivery, where
// each event is decided again.
func (s *Service) authorizeSubscription(ctx context.Context, sub, purpose, basis string, types []Type, all bool) (string, error) {
	if s.opts.Authorize == nil {
		return basis, nil
	}
	var invalid, forbidden problem.Fields
	g, err := s.opts.Authorize(ctx, sub, purpose)
	switch {
	case err == nil:
		settled, err := g.LegalBasis(basis)
		switch {
		case err == nil:
			basis = settled
		case refusal(err):
			invalid.Add("legal_basis", "%s", reasonOf(err))
		default:
			return "", err
		}
		for _, t := range types {
			if err := g.Covers(t.Field()); err != nil {
				if !refusal(err) {
					return "", err
				}
				forbidden.Add("types", "%s (a change of %s): %s", t, t.Field(), reasonOf(err))
			}
		}
		if all && g.ConsentRequired() {
			invalid.Add("all_people", "the purpose %s needs each person's consent: subscribe a watch list of the people who gave it", purpose)
		}
	case refusal(err):
		var pe *problem.Error
		errors.As(err, &pe)
		fields := pe.Fields
		if len(fields) == 0 {
			fields = []problem.FieldError{problem.NewFieldError("purpose", "%s", pe.Detail)}
		}
		for _, fe := range fields {
			name := fe.Field
			if name == "subsystem" {
				name = "subscriber"
			}
			if pe.Kind == problem.Invalid {
				invalid.Add(name, "%s", fe.Reason)
			} else {
				forbidden.Add(name, "%s", fe.Reason)
			}
		}
	default:
		return "", err
	}
	if err := invalid.Err(); err != nil {
		return "", err
	}
	if err := forbidden.Err(); err != nil {
		pe := err.(*problem.Error)
		const detail = "The subscriber's rights on the data exchange do not allow this subscription"
		pe.Kind, pe.Detail, pe.Format = problem.Forbidden, detail, detail
		return "", pe
	}
	return basis, nil
}

// refusal reports whether err is a decision against an access (a problem
// of a kind other than Internal and Unavailable), not a failure to decide.
func refusal(err error) bool {
	var pe *problem.Error
	return errors.As(err, &pe) && pe.Kind != problem.Internal && pe.Kind != problem.Unavailable
}

// reasonOf is the reason of a refusal: its fields' reasons, else its
// detail.
func reasonOf(err error) string {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return err.Error()
	}
	if len(pe.Fields) == 0 {
		return pe.Detail
	}
	var rs []string
	for _, fe := range pe.Fields {
		rs = append(rs, fe.Reason)
	}
	return strings.Join(rs, "; ")
}

func slicesContains(ts []Type, t Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// channels are the subscription's delivery channels.
func (s Subscription) channels() []string {
	var out []string
	if s.WebhookURL != "" {
		out = append(out, Webhook)
	}
	if s.NATS {
		out = append(out, NATS)
	}
	return out
}

// subject is the NATS subject of the channel ch ("" for a webhook).
func (s Subscription) subject(ch string) string {
	if ch != NATS {
		return ""
	}
	return SubjectPrefix + strings.ReplaceAll(s.Subscriber, "/", ".") + ".>"
}

// checkURL accepts an absolute HTTPS URL (HTTP where allowed) with a host,
// no user information and no fragment, at most 2,000 bytes.
func (s *Service) checkURL(f *problem.Fields, raw string) {
	if len(raw) > 2000 {
		f.Add("webhook_url", "is longer than 2000 bytes")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		f.Add("webhook_url", "is not a URL")
	case u.Scheme != "https" && !(s.opts.AllowHTTP && u.Scheme == "http"):
		f.Add("webhook_url", "must be an https:// URL")
	case u.Host == "":
		f.Add("webhook_url", "has no host")
	case u.User != nil:
		f.Add("webhook_url", "must not carry a user name or password")
	case u.Fragment != "":
		f.Add("webhook_url", "must not have a fragment")
	default:
		if err := s.egress().CheckURL(raw); err != nil {
			f.Add("webhook_url", "%v", err)
		}
	}
}

// egress is the policy of the webhooks' calls.
func (s *Service) egress() egress.Policy {
	p := s.opts.Egress
	p.Loopback = p.Loopback || s.opts.AllowHTTP
	return p
}

// List returns p's subscriptions (a member's own; the CLI's all).
func (s *Service) List(ctx context.Context, p auth.Principal) ([]Subscription, error) {
	switch p.Kind {
	case auth.KindMember:
		return s.query(ctx, `s.subscriber = $1`, p.Username)
	case auth.KindSystem:
		return s.query(ctx, ``)
	}
	if auth.CanFrom(p, ReadSubscriptions) {
		return s.query(ctx, ``)
	}
	return nil, problem.New(problem.Forbidden, "only a member system or an administrator lists change subscriptions")
}

// Get returns p's subscription id; another subscriber's is not found.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (Subscription, error) {
	var subs []Subscription
	var err error
	switch p.Kind {
	case auth.KindMember:
		subs, err = s.query(ctx, `s.id = $1 AND s.subscriber = $2`, id, p.Username)
	case auth.KindSystem:
		subs, err = s.query(ctx, `s.id = $1`, id)
	default:
		return Subscription{}, problem.New(problem.Forbidden, "only a member system manages its change subscriptions")
	}
	if err != nil {
		return Subscription{}, err
	}
	if len(subs) == 0 {
		return Subscription{}, problem.New(problem.NotFound, "no subscription %d of this subscriber", id)
	}
	return subs[0], nil
}

// query reads the subscriptions not ended that meet cond (all where it is
// empty).
func (s *Service) query(ctx context.Context, cond string, args ...any) ([]Subscription, error) {
	where := `WHERE s.ended_at = ''`
	if cond != "" {
		where += ` AND ` + cond
	}
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.subscriber, s.types, s.webhook_url, s.nats, s.all_people, s.purpose, s.legal_basis, s.created_at,
		(SELECT count(*) FROM event_watch w WHERE w.subscription_id = s.id)
		FROM event_subscriptions s `+where+` ORDER BY s.id`, args...)
	subs, err := db.Collect(rows, err, func(r db.Scanner) (Subscription, error) {
		var x Subscription
		var types string
		var nats, all int
		err := r.Scan(&x.ID, &x.Subscriber, &types, &x.WebhookURL, &nats, &all, &x.Purpose, &x.LegalBasis, db.Time{T: &x.CreatedAt}, &x.Watched)
		for _, t := range strings.Split(types, ",") {
			x.Types = append(x.Types, Type(t))
		}
		x.NATS, x.AllPeople = nats != 0, all != 0
		return x, err
	})
	if err != nil || len(subs) == 0 {
		return subs, err
	}
	byID := map[int64]*Subscription{}
	for i := range subs {
		byID[subs[i].ID] = &subs[i]
	}
	drows, err := s.db.QueryContext(ctx, `SELECT subscription_id, channel, state, attempts, next_attempt_at, failing_since, last_error, delivered, last_delivered_at
		FROM event_deliveries ORDER BY subscription_id, channel`)
	type dl struct {
		id int64
		d  Delivery
	}
	ds, err := db.Collect(drows, err, func(r db.Scanner) (dl, error) {
		var x dl
		var failing, last time.Time
		err := r.Scan(&x.id, &x.d.Channel, &x.d.State, &x.d.Attempts, db.Time{T: &x.d.NextAttemptAt}, db.Time{T: &failing}, &x.d.LastError, &x.d.Delivered, db.Time{T: &last})
		if !failing.IsZero() {
			x.d.FailingSince = &failing
		}
		if !last.IsZero() {
			x.d.LastDeliveredAt = &last
		}
		return x, err
	})
	if err != nil {
		return nil, err
	}
	for _, x := range ds {
		if sub := byID[x.id]; sub != nil {
			x.d.Subject = sub.subject(x.d.Channel)
			sub.Deliveries = append(sub.Deliveries, x.d)
		}
	}
	return subs, nil
}

// Unsubscribe ends p's subscription id: its watch list and delivery state
// are deleted, the subscription kept as ended (its id never reused).
func (s *Service) Unsubscribe(ctx context.Context, p auth.Principal, id int64) error {
	sub, err := s.Get(ctx, p, id)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM event_watch WHERE subscription_id = $1`, `DELETE FROM event_deliveries WHERE subscription_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE event_subscriptions SET ended_at = $1 WHERE id = $2`, db.FormatTime(time.Now()), id); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(p, actionUnsubscribe, "").With(fmt.Sprintf("subscription %d of %s", id, sub.Subscriber)))
	})
}

// Resume puts the dead-lettered channels of p's subscription id back to
// delivery, from where they stopped.
func (s *Service) Resume(ctx context.Context, p auth.Principal, id int64) (Subscription, error) {
	sub, err := s.Get(ctx, p, id)
	if err != nil {
		return Subscription{}, err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE event_deliveries SET state = $1, attempts = 0, failing_since = '', next_attempt_at = $2
			WHERE subscription_id = $3 AND state = $4`, Active, db.FormatTime(time.Now()), id, Dead); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(p, actionResume, "").With(fmt.Sprintf("subscription %d of %s", id, sub.Subscriber)))
	})
	if err != nil {
		return Subscription{}, err
	}
	return s.Get(ctx, p, id)
}

// watchBatch is how many PINs one INSERT or DELETE of a watch-list upload
// carries.
const watchBatch = 500

// Watch adds to p's subscription id's watch list the PINs read from r, one
// a line (blank lines skipped), or removes them. The body is read as a
// stream, in batches, all in one transaction: a bad line (named by its
// number) or an upload beyond the limits leaves the list as it was.
func (s *Service) Watch(ctx context.Context, p auth.Principal, id int64, r io.Reader, remove bool) (WatchResult, error) {
	sub, err := s.Get(ctx, p, id)
	if err != nil {
		return WatchResult{}, err
	}
	if sub.AllPeople {
		return WatchResult{}, problem.New(problem.Conflict, "subscription %d is for every person: it has no watch list", id)
	}
	var res WatchResult
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		batch := make([]any, 0, watchBatch+1)
		flush := func() error {
			if len(batch) <= 1 {
				return nil
			}
			var q strings.Builder
			if remove {
				q.WriteString(`DELETE FROM event_watch WHERE subscription_id = $1 AND pin IN (`)
				for i := 2; i <= len(batch); i++ {
					if i > 2 {
						q.WriteString(",")
					}
					q.WriteString("$" + strconv.Itoa(i))
				}
				q.WriteString(")")
			} else {
				q.WriteString(`INSERT INTO event_watch (subscription_id, pin) VALUES `)
				for i := 2; i <= len(batch); i++ {
					if i > 2 {
						q.WriteString(",")
					}
					q.WriteString("($1, $" + strconv.Itoa(i) + ")")
				}
				q.WriteString(" ON CONFLICT DO NOTHING")
			}
			x, err := tx.ExecContext(ctx, q.String(), batch...)
			if err != nil {
				return err
			}
			n, _ := x.RowsAffected()
			res.Changed += n
			batch = append(batch[:0], id)
			return nil
		}
		batch = append(batch, id)
		read, err := readPINs(r, s.opts.MaxWatchUpload, func(p string) error {
			batch = append(batch, p)
			if len(batch) > watchBatch {
				return flush()
			}
			return nil
		})
		res.Read = read
		if err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM event_watch WHERE subscription_id = $1`, id).Scan(&res.Watched); err != nil {
			return err
		}
		if res.Watched > s.opts.MaxWatch {
			return problem.New(problem.TooLarge, "a watch list holds at most %d PINs", s.opts.MaxWatch)
		}
		verb := "added"
		if remove {
			verb = "removed"
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(p, actionWatch, "").With(fmt.Sprintf("subscription %d of %s: %d PINs %s, %d watched", id, sub.Subscriber, res.Changed, verb, res.Watched)))
	})
	if err != nil {
		return WatchResult{}, err
	}
	return res, nil
}

// readPINs reads a watch list, one PIN a line (blank lines and spaces
// around skipped), calling fn with each; a line that is not a PIN is an
// error naming its number, and more than max PINs is too large.
func readPINs(r io.Reader, max int64, fn func(string) error) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 256), 256)
	var read int64
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" {
			continue
		}
		if _, _, err := pin.Parse(t); err != nil {
			return read, problem.Field("body", "line %d: %v", line, err)
		}
		read++
		if read > max {
			return read, problem.New(problem.TooLarge, "an upload holds at most %d PINs: send the list in several", max)
		}
		if err := fn(t); err != nil {
			return read, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return read, problem.Field("body", "line %d: longer than a PIN", line+1)
		}
		return read, err
	}
	return read, nil
}
