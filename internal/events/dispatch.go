package events

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	consentpkg "github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db"
)

// position is a place in the outbox's order: (tx, seq). On SQLite tx is
// always 0; on PostgreSQL it is the id of the transaction that wrote the
// row, and only rows below the oldest running transaction are read.
type position struct{ tx, seq int64 }

// horizonSQL is the first transaction id that may still be running on
// PostgreSQL: every row with a smaller tx is committed (or never will be),
// and no transaction yet to write can draw a smaller one.
const horizonSQL = `pg_snapshot_xmin(pg_current_snapshot())::text::bigint`

// endOf is the last position of the outbox a reader may take as complete.
func endOf(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, e db.Engine) (position, error) {
	return scanEnd(q.QueryRowContext(ctx, endSQL(e)))
}

// endSQL is endOf's query on engine e.
func endSQL(e db.Engine) string {
	if e == db.Postgres {
		return `SELECT tx, seq FROM events_outbox WHERE tx < ` + horizonSQL + ` ORDER BY tx DESC, seq DESC LIMIT 1`
	}
	return `SELECT tx, seq FROM events_outbox ORDER BY tx DESC, seq DESC LIMIT 1`
}

func scanEnd(row *sql.Row) (position, error) {
	var p position
	err := row.Scan(&p.tx, &p.seq)
	if errors.Is(err, sql.ErrNoRows) {
		return position{}, nil
	}
	return p, err
}

// preparedEnd is endOf outside a transaction, with the statement prepared
// once: the dispatcher asks it every poll (50 a second), and preparing
// the query each time took 5% of a busy server's CPU.
func preparedEnd(ctx context.Context, d *db.DB) (position, error) {
	st, err := d.Prepared(ctx, endSQL(d.Engine))
	if err != nil {
		return position{}, err
	}
	return scanEnd(st.QueryRowContext(ctx))
}

// DispatchOptions configure the dispatcher.
type DispatchOptions struct {
	// Bus publishes NATS deliveries; nil: NATS channels wait.
	Bus *Bus
	// Client posts webhooks (default: the service's egress policy's client,
	// with a 10 s timeout, no proxy, following no redirect).
	Client *http.Client
	// Batch is the most events read for one channel at a time (default 100).
	Batch int
	// Poll is how often the outbox is looked at (default 20 ms).
	Poll time.Duration
	// BaseDelay and MaxDelay bound the retry delay, which doubles with
	// each failed attempt, with full jitter (defaults 1 s and 1 h).
	BaseDelay, MaxDelay time.Duration
	// DeadAfter is how long a channel may fail before it is dead-lettered
	// (default 3 days).
	DeadAfter time.Duration
	// Keep is how long the outbox keeps the events every channel has
	// passed (default 7 days; pruned hourly by Run).
	Keep time.Duration
	// Lease is how long Run's hold on the store's dispatch lease lasts
	// without renewal (default 15 s): one dispatcher delivers at a time
	// however many servers share the store; another takes over at most
	// this long after the holder stopped. Holder names this dispatcher
	// in the lease (default: host, process and a random suffix).
	Lease  time.Duration
	Holder string
	Logger *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
}

// Dispatcher delivers the outbox to each subscription's channels, in the
// outbox's order, at least once: a channel's cursor advances only past
// what its subscriber acknowledged (a 2xx answer to the webhook, the
// stream's PubAck), so a subscriber down, or a dispatcher killed, loses
// nothing; a delivery may be repeated, with the same event id.
type Dispatcher struct {
	s *Service
	o DispatchOptions
	// fenced is set while Run holds the lease: each cursor update then
	// checks that it still does (Step called alone moves cursors freely).
	fenced atomic.Bool
}

// Dispatcher returns the service's dispatcher.
func (s *Service) Dispatcher(o DispatchOptions) *Dispatcher {
	if o.Client == nil {
		o.Client = s.egress().Client(10 * time.Second)
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.Poll <= 0 {
		o.Poll = 20 * time.Millisecond
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = time.Second
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = time.Hour
	}
	if o.DeadAfter <= 0 {
		o.DeadAfter = 72 * time.Hour
	}
	if o.Keep <= 0 {
		o.Keep = 7 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
	}
	if o.Holder == "" {
		host, _ := os.Hostname()
		o.Holder = fmt.Sprintf("%s/%d/%08x", host, os.Getpid(), rand.Uint32())
	}
	return &Dispatcher{s: s, o: o}
}

// lease takes or renews the dispatch lease for o.Lease; held reports
// whether this dispatcher holds it.
func (d *Dispatcher) lease(ctx context.Context) (held bool, err error) {
	now := d.o.Now().UTC()
	res, err := d.s.db.ExecContext(ctx, `UPDATE event_dispatch_lease SET holder = $1, expires_at = $2
		WHERE id = 1 AND (holder = $1 OR holder = '' OR expires_at < $3)`, d.o.Holder, db.FormatTime(now.Add(d.o.Lease)), db.FormatTime(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// holder is the lease's holder as the store has it, for the log ("" if
// it cannot be read).
func (d *Dispatcher) holder(ctx context.Context) string {
	var h string
	d.s.db.QueryRowContext(ctx, `SELECT holder FROM event_dispatch_lease WHERE id = 1`).Scan(&h)
	return h
}

// release gives the lease up (a stopping server), so that another
// dispatcher takes over at once.
func (d *Dispatcher) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d.s.db.ExecContext(ctx, `UPDATE event_dispatch_lease SET holder = '', expires_at = '' WHERE id = 1 AND holder = $1`, d.o.Holder)
}

// Run delivers until ctx ends. Without a decision of deliveries
// (Options.Authorize) it delivers nothing: it says so once and waits.
func (d *Dispatcher) Run(ctx context.Context) {
	if d.s.opts.Authorize == nil {
		d.o.Logger.Error(ErrNotAuthorized.Error())
		<-ctx.Done()
		return
	}
	t := time.NewTicker(d.o.Poll)
	defer t.Stop()
	lastPrune := time.Time{}
	// The lease is renewed once a third of it has passed; without it the
	// dispatcher waits (standby), trying again every third of a lease.
	var until time.Time
	standby := false
	defer func() {
		if d.fenced.Load() {
			d.release()
		}
	}()
	for {
		if now := d.o.Now(); until.Sub(now) < d.o.Lease*2/3 {
			held, err := d.lease(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				d.o.Logger.Warn("events: dispatch lease", "err", err)
				held = false
			}
			d.fenced.Store(held)
			if !held {
				if !standby {
					d.o.Logger.Info("events: another dispatcher holds the lease; standing by", "self", d.o.Holder, "holder", d.holder(ctx))
					standby = true
				}
				until = time.Time{}
				select {
				case <-ctx.Done():
					return
				case <-time.After(d.o.Lease / 3):
				}
				continue
			}
			if standby {
				d.o.Logger.Info("events: dispatch lease taken", "self", d.o.Holder)
				standby = false
			}
			until = now.Add(d.o.Lease)
		}
		if time.Since(lastPrune) > time.Hour {
			if n, err := d.s.Prune(ctx, d.o.Keep); err != nil && ctx.Err() == nil {
				d.o.Logger.Warn("events: prune the outbox", "err", err)
			} else if n > 0 {
				d.o.Logger.Info("events: outbox pruned", "rows", n)
			}
			lastPrune = time.Now()
		}
		n, err := d.Step(ctx)
		if errors.Is(err, errLeaseLost) {
			d.fenced.Store(false)
			until = time.Time{} // take it again, or stand by
		}
		if err != nil && ctx.Err() == nil {
			d.o.Logger.Warn("events: dispatch", "err", err)
		}
		if n > 0 && err == nil {
			continue // more may be waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// channel is one delivery channel due.
type channel struct {
	Subscription
	channel  string
	cursor   position
	attempts int
	failing  time.Time
}

// ErrNotAuthorized is Step's error while the service has no decision of
// deliveries (Options.Authorize): nothing is delivered, nothing is lost.
var ErrNotAuthorized = errors.New("events: no decision of deliveries is wired (Options.Authorize): nothing is delivered")

// Step makes one pass: every channel due gets the events after its cursor,
// up to Batch. It returns how many events were delivered.
func (d *Dispatcher) Step(ctx context.Context) (int, error) {
	if d.s.opts.Authorize == nil {
		return 0, ErrNotAuthorized
	}
	end, err := preparedEnd(ctx, d.s.db)
	if err != nil {
		return 0, err
	}
	now := d.o.Now().UTC()
	due, err := d.s.db.Prepared(ctx, dueSQL)
	if err != nil {
		return 0, err
	}
	rows, err := due.QueryContext(ctx, Active, db.FormatTime(now), end.tx, end.seq)
	chans, err := db.Collect(rows, err, func(r db.Scanner) (channel, error) {
		var c channel
		var types string
		var all int
		err := r.Scan(&c.ID, &c.Subscriber, &types, &c.WebhookURL, &all, &c.Purpose, &c.LegalBasis,
			&c.channel, &c.cursor.tx, &c.cursor.seq, &c.attempts, db.Time{T: &c.failing})
		for _, t := range strings.Split(types, ",") {
			c.Types = append(c.Types, Type(t))
		}
		c.AllPeople = all != 0
		return c, err
	})
	if err != nil {
		return 0, err
	}
	total := 0
	var errs []error
	for _, c := range chans {
		if c.channel == NATS && d.o.Bus == nil {
			continue
		}
		n, err := d.deliver(ctx, c, end)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
		if errors.Is(err, errLeaseLost) {
			break // another dispatcher delivers now
		}
	}
	return total, errors.Join(errs...)
}

// dueSQL lists the channels due for a delivery attempt that are behind the
// outbox's end.
const dueSQL = `SELECT s.id, s.subscriber, s.types, s.webhook_url, s.all_people, s.purpose, s.legal_basis,
		d.channel, d.cursor_tx, d.cursor_seq, d.attempts, d.failing_since
		FROM event_deliveries d JOIN event_subscriptions s ON s.id = d.subscription_id
		WHERE d.state = $1 AND d.next_attempt_at <= $2 AND (d.cursor_tx, d.cursor_seq) < ($3, $4)
		ORDER BY s.id, d.channel`

// pending reads the events of c after its cursor, up to end, at most limit.
func (d *Dispatcher) pending(ctx context.Context, c channel, end position, limit int) ([]Event, []position, error) {
	args := []any{c.cursor.tx, c.cursor.seq, end.tx, end.seq}
	in := make([]string, len(c.Types))
	for i, t := range c.Types {
		args = append(args, string(t))
		in[i] = "$" + strconv.Itoa(len(args))
	}
	q := `SELECT o.tx, o.seq, o.event_id, o.type, o.pin, o.date, o.version FROM events_outbox o
		WHERE (o.tx, o.seq) > ($1, $2) AND (o.tx, o.seq) <= ($3, $4) AND o.type IN (` + strings.Join(in, ",") + `)`
	if !c.AllPeople {
		args = append(args, c.ID)
		q += ` AND EXISTS (SELECT 1 FROM event_watch w WHERE w.subscription_id = $` + strconv.Itoa(len(args)) + ` AND w.pin = o.pin)`
	}
	args = append(args, limit)
	q += ` ORDER BY o.tx, o.seq LIMIT $` + strconv.Itoa(len(args))
	rows, err := d.s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var evs []Event
	var pos []position
	for rows.Next() {
		var e Event
		var p position
		var t string
		if err := rows.Scan(&p.tx, &p.seq, &e.ID, &t, &e.PIN, &e.Date, &e.RegisterVersion); err != nil {
			return nil, nil, err
		}
		e.Type = Type(t)
		evs, pos = append(evs, e), append(pos, p)
	}
	return evs, pos, rows.Err()
}

// deliver sends c the events after its cursor and moves the cursor past
// those acknowledged; on a failure it schedules the next attempt.
func (d *Dispatcher) deliver(ctx context.Context, c channel, end position) (int, error) {
	limit := d.o.Batch
	if c.attempts > 0 {
		limit = 1 // a failing subscriber is tried one event at a time
	}
	evs, pos, err := d.pending(ctx, c, end, limit)
	if err != nil {
		return 0, err
	}
	if len(evs) == 0 {
		// Nothing for this channel up to end: it has seen it all.
		return 0, d.advance(ctx, c, end, 0, nil)
	}
	// Each delivery discloses a fact about a person: decided (Authorize)
	// and audited, before it leaves, as a read of that person by the
	// subscriber; a refusal is audited too, and the event skipped. The
	// subscriber's standing and rights are decided once for the batch (a
	// revocation reaches the next batch), its field and the person's
	// consent event by event.
	grant, denied := d.s.opts.Authorize(ctx, c.Subscriber, c.Purpose)
	if denied == nil {
		// The legal basis stated when subscribing must still be one of
		// the purpose's, as a request's is checked on every look-up.
		_, denied = grant.LegalBasis(c.LegalBasis)
	}
	if denied != nil && !refusal(denied) {
		return 0, fmt.Errorf("authorise deliveries to subscription %d: %w", c.ID, denied)
	}
	member := auth.Principal{Kind: auth.KindMember, Username: c.Subscriber}
	entries := make([]audit.Entry, len(evs))
	send := make([]int, 0, len(evs)) // indices of evs to deliver
	for i, e := range evs {
		consent, refused := "", denied
		if refused == nil {
			// One use of the person's consent per event, however many
			// attempts and channels deliver it.
			consent, refused = grant.Fields(consentpkg.WithUse(ctx, e.ID), e.PIN, e.Type.Field())
			if refused != nil && !refusal(refused) {
				return 0, fmt.Errorf("authorise event %s to subscription %d: %w", e.ID, c.ID, refused)
			}
		}
		entries[i] = audit.Of(member, auth.ReadPerson, e.PIN).For(c.Purpose, c.LegalBasis, consent).
			Disclosing("event:"+string(e.Type), "date", "register_version").
			With(fmt.Sprintf("change event %s sent by %s (subscription %d, attempt %d)", e.ID, c.channel, c.ID, c.attempts+1))
		// Every attempt is recorded (each may have reached the
		// subscriber), under one request id for the event's delivery on
		// this channel: the person sees one access, not one per retry.
		entries[i].Request = "events-" + strconv.FormatInt(c.ID, 10) + "-" + c.channel + "-" + e.ID
		if refused != nil {
			entries[i] = entries[i].Refused(fmt.Sprintf("change event %s not delivered (subscription %d): %v", e.ID, c.ID, refused))
			continue
		}
		send = append(send, i)
	}
	if err := d.s.audit.Record(ctx, entries...); err != nil {
		return 0, fmt.Errorf("audit of deliveries to subscription %d: %w", c.ID, err)
	}
	out := make([]Event, len(send))
	for j, i := range send {
		out[j] = evs[i]
	}
	var n int
	switch {
	case len(out) == 0:
	case c.channel == Webhook:
		n, err = d.webhook(ctx, c, out)
	case c.channel == NATS:
		n, err = d.nats(ctx, c, out)
	default:
		return 0, fmt.Errorf("subscription %d: unknown channel %q", c.ID, c.channel)
	}
	// The cursor passes every event before the first not delivered (the
	// refused ones included).
	to := pos[len(evs)-1]
	if n < len(send) {
		if first := send[n]; first > 0 {
			to = pos[first-1]
		} else {
			to = c.cursor
		}
	}
	if err == nil && len(evs) < limit {
		to = end // everything up to end was read and delivered
	}
	if aerr := d.advance(ctx, c, to, n, err); aerr != nil {
		return n, aerr
	}
	if err != nil {
		return n, fmt.Errorf("subscription %d %s: %w", c.ID, c.channel, err)
	}
	return n, nil
}

// publicReason says why a delivery failed as the member may read it (the
// subscription's last_error): the kind of failure and the status its own
// server answered, not the platform's network (addresses, its resolver,
// what else listens there).
func publicReason(channel string, err error) string {
	var dns *net.DNSError
	var op *net.OpError
	var cert *tls.CertificateVerificationError
	var rec tls.RecordHeaderError
	switch m := err.Error(); {
	case channel != "webhook":
		return "the delivery to NATS failed; the platform's operators have the details"
	case strings.HasPrefix(m, "webhook answered "):
		return m
	case strings.Contains(m, "may not reach"):
		return "the webhook's address is one the platform's egress policy refuses"
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return "the webhook did not answer in time"
	case errors.As(err, &dns):
		return "the webhook's host name could not be resolved"
	case errors.As(err, &cert) || errors.As(err, &rec) || strings.Contains(m, "tls:") || strings.Contains(m, "x509:"):
		return "the TLS connection to the webhook failed (its certificate, or not TLS)"
	case errors.As(err, &op):
		return "the webhook could not be reached"
	}
	return "the delivery failed; the platform's operators have the details"
}

// advance stores c's cursor at to, n more delivered, and the outcome: on
// failure the next attempt after a delay doubling with each attempt (full
// jitter), and the dead-letter state once it has failed for DeadAfter.
func (d *Dispatcher) advance(ctx context.Context, c channel, to position, n int, failure error) error {
	now := d.o.Now().UTC()
	attempts, failing, msg, next, state := 0, "", "", now, Active
	if failure != nil {
		f := c.failing
		attempts = c.attempts + 1
		if f.IsZero() || n > 0 {
			f, attempts = now, 1
		}
		if now.Sub(f) >= d.o.DeadAfter {
			state = Dead
			d.o.Logger.Warn("events: channel dead-lettered", "subscription", c.ID, "channel", c.channel, "failing_since", f)
		}
		failing, msg, next = db.FormatTime(f), publicReason(c.channel, failure), now.Add(d.backoff(attempts))
		// The operators read the whole error; the member, its kind.
		d.o.Logger.Info("events: delivery failed", "subscription", c.ID, "channel", c.channel, "attempts", attempts, "err", failure)
	}
	q := `UPDATE event_deliveries SET cursor_tx = $1, cursor_seq = $2, attempts = $3, failing_since = $4,
		last_error = $5, delivered = delivered + $6, next_attempt_at = $7, state = $8,
		last_delivered_at = CASE WHEN $6 > 0 THEN $9 ELSE last_delivered_at END
		WHERE subscription_id = $10 AND channel = $11`
	args := []any{to.tx, to.seq, attempts, failing, msg, n, db.FormatTime(next), state, db.FormatTime(now), c.ID, c.channel}
	if !d.fenced.Load() {
		_, err := d.s.db.ExecContext(ctx, q, args...)
		return err
	}
	res, err := d.s.db.ExecContext(ctx, q+` AND EXISTS (SELECT 1 FROM event_dispatch_lease WHERE id = 1 AND holder = $12)`, append(args, d.o.Holder)...)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err == nil && k == 0 {
		// The subscription is gone, or the lease passed to another
		// dispatcher (this one was held up longer than the lease), which
		// delivers from this cursor again.
		var holder string
		if err := d.s.db.QueryRowContext(ctx, `SELECT holder FROM event_dispatch_lease WHERE id = 1`).Scan(&holder); err != nil {
			return err
		}
		if holder != d.o.Holder {
			return errLeaseLost
		}
	}
	return nil
}

// errLeaseLost is a cursor update refused because the lease has passed to
// another dispatcher.
var errLeaseLost = errors.New("events: the dispatch lease passed to another dispatcher; its cursor was not moved")

// backoff is the delay before attempt n+1: uniform in [0, min(Max,
// Base·2ⁿ⁻¹)] ("full jitter"), at least a tenth of Base.
func (d *Dispatcher) backoff(n int) time.Duration {
	ceil := d.o.MaxDelay
	if n < 40 {
		if x := d.o.BaseDelay << (n - 1); x > 0 && x < ceil {
			ceil = x
		}
	}
	return max(time.Duration(rand.Int64N(int64(ceil)+1)), d.o.BaseDelay/10)
}

// Headers of a webhook delivery besides the signature.
const (
	// IdempotencyKeyHeader holds the event's id: a subscriber that has
	// applied it answers 2xx again and does nothing.
	IdempotencyKeyHeader = "Idempotency-Key"
)

// webhook posts each event in order, stopping at the first failure.
func (d *Dispatcher) webhook(ctx context.Context, c channel, evs []Event) (int, error) {
	for i, e := range evs {
		body, err := json.Marshal(e)
		if err != nil {
			return i, err
		}
		sig, err := d.s.keys.Sign(body, c.ID, d.o.Now())
		if err != nil {
			return i, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.WebhookURL, bytes.NewReader(body))
		if err != nil {
			return i, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(IdempotencyKeyHeader, e.ID)
		req.Header.Set(HeaderEventID, e.ID)
		req.Header.Set(HeaderEventType, string(e.Type))
		req.Header.Set(SignatureHeader, sig)
		res, err := d.o.Client.Do(req)
		if err != nil {
			return i, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
		res.Body.Close()
		if res.StatusCode < 200 || res.StatusCode > 299 {
			return i, fmt.Errorf("webhook answered %s", res.Status)
		}
	}
	return len(evs), nil
}

// nats publishes the events with Nats-Msg-Id the subscription and the
// event's id (JetStream drops a repeat within its window; the subscriber
// applies each event id once past it).
func (d *Dispatcher) nats(ctx context.Context, c channel, evs []Event) (int, error) {
	msgs := make([]Message, len(evs))
	for i, e := range evs {
		body, err := json.Marshal(e)
		if err != nil {
			return 0, err
		}
		msgs[i] = Message{Subject: Subject(c.Subscriber, e.Type), MsgID: strconv.FormatInt(c.ID, 10) + ":" + e.ID, Data: body, Event: e}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return d.o.Bus.Publish(pctx, msgs)
}

// Prune deletes the outbox rows every channel has passed (dead-lettered
// ones included, which resume from their cursor) and recorded more than
// keep ago; with no subscription, every row older than keep (a new
// subscription starts at the end). It returns how many it deleted.
func (s *Service) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	before := db.FormatTime(time.Now().Add(-keep))
	var min position
	err := s.db.QueryRowContext(ctx, `SELECT cursor_tx, cursor_seq FROM event_deliveries ORDER BY cursor_tx, cursor_seq LIMIT 1`).Scan(&min.tx, &min.seq)
	var res sql.Result
	switch {
	case errors.Is(err, sql.ErrNoRows):
		end, err := endOf(ctx, s.db, s.db.Engine)
		if err != nil {
			return 0, err
		}
		res, err = s.db.ExecContext(ctx, `DELETE FROM events_outbox WHERE (tx, seq) <= ($1, $2) AND recorded_at < $3`, end.tx, end.seq, before)
		if err != nil {
			return 0, err
		}
	case err != nil:
		return 0, err
	default:
		if res, err = s.db.ExecContext(ctx, `DELETE FROM events_outbox WHERE (tx, seq) <= ($1, $2) AND recorded_at < $3`, min.tx, min.seq, before); err != nil {
			return 0, err
		}
	}
	return res.RowsAffected()
}
