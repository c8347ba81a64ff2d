package service

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// State is where a job stands.
type State string

const (
	Queued    State = "queued"
	Running   State = "running"
	Done      State = "done"
	Failed    State = "failed"
	Cancelled State = "cancelled"
)

// Finished reports whether the job will not run again.
func (s State) Finished() bool { return s == Done || s == Failed || s == Cancelled }

// Options are the options of a run that a member may choose; zero values
// are the engine's defaults.
type Options struct {
	Threshold   float64 `json:"threshold,omitempty"`
	ReviewFloor float64 `json:"review_floor,omitempty"`
	Margin      float64 `json:"margin,omitempty"`
	OneToOne    bool    `json:"one_to_one,omitempty"`
	MaxBlock    int     `json:"max_block,omitempty"`
	Seed        uint64  `json:"seed,omitempty"`
	// Kind is the built-in mapping the member chose, if any.
	Kind string `json:"kind,omitempty"`
}

// Job is one row of reconcile_jobs.
type Job struct {
	ID      string
	Unit    string
	OwnerID int64
	Owner   string
	// Role is the owner's role when the job was submitted: with Unit it
	// gives the reach the job matches within (stored in the config
	// column, not shown).
	Role       auth.Role
	FileName   string
	FileBytes  int64
	Mapping    string
	Options    Options
	State      State
	Read       int64
	Decided    int64
	Checkpoint string
	Counts     map[string]int64
	Error      string
	Created    time.Time
	Started    time.Time
	Finished   time.Time
}

// store holds the jobs' rows.
type store struct{ db *db.DB }

const jobColumns = `id, unit_code, owner_staff_id, owner, file_name, file_bytes, mapping, config, state,
	records_read, records_decided, checkpoint, counts, error, created_at, started_at, finished_at`

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return db.FormatTime(t)
}

func scanJob(sc interface{ Scan(...any) error }) (Job, error) {
	var (
		j                     Job
		config, state, counts string
	)
	err := sc.Scan(&j.ID, &j.Unit, &j.OwnerID, &j.Owner, &j.FileName, &j.FileBytes, &j.Mapping, &config, &state,
		&j.Read, &j.Decided, &j.Checkpoint, &counts, &j.Error, db.Time{T: &j.Created}, db.Time{T: &j.Started}, db.Time{T: &j.Finished})
	if err != nil {
		return j, err
	}
	j.State = State(state)
	var c storedConfig
	if err := json.Unmarshal([]byte(config), &c); err != nil {
		return j, fmt.Errorf("reconcile job %s: config: %w", j.ID, err)
	}
	j.Options, j.Role = c.Options, c.Role
	if counts != "" {
		if err := json.Unmarshal([]byte(counts), &j.Counts); err != nil {
			return j, fmt.Errorf("reconcile job %s: counts: %w", j.ID, err)
		}
	}
	return j, nil
}

// storedConfig is the config column: the options and the owner's role (a
// job stored before the role was kept has none, and is refused when it
// runs).
type storedConfig struct {
	Options
	Role auth.Role `json:"owner_role,omitempty"`
}

func (s *store) insertTx(ctx context.Context, tx *sql.Tx, j *Job) error {
	config, err := json.Marshal(storedConfig{j.Options, j.Role})
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO reconcile_jobs (id, unit_code, owner_staff_id, owner, file_name, file_bytes,
		mapping, config, state, records_read, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		j.ID, j.Unit, j.OwnerID, j.Owner, j.FileName, j.FileBytes, j.Mapping, string(config), string(j.State), j.Read, formatTime(j.Created))
	return err
}

// errNoJob is a job that does not exist or belongs to another member: the
// two are not told apart.
func errNoJob(id string) error { return problem.New(problem.NotFound, "no reconciliation job %s", id) }

func (s *store) get(ctx context.Context, id string) (Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM reconcile_jobs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, errNoJob(id)
	}
	return j, err
}

// list returns a member's jobs, newest first, at most limit after cursor.
func (s *store) list(ctx context.Context, unit string, limit int, cursor string) ([]Job, string, error) {
	q := `SELECT ` + jobColumns + ` FROM reconcile_jobs WHERE unit_code = $1`
	args := []any{unit}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		created, id, ok := strings.Cut(string(b), " ")
		if err != nil || !ok {
			return nil, "", problem.Field("cursor", "is not a cursor this list returned")
		}
		q += ` AND (created_at < $2 OR (created_at = $2 AND id < $3))`
		args = append(args, created, id)
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	out, err := db.Collect(rows, err, scanJob)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(formatTime(last.Created) + " " + last.ID))
	}
	return out, next, nil
}

// ids returns the ids of a member's jobs that may have files (all but the
// cancelled, whose files are deleted).
func (s *store) ids(ctx context.Context, unit string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM reconcile_jobs WHERE unit_code = $1 AND state <> 'cancelled'`, unit)
	return db.Collect(rows, err, func(sc interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
}

// countActive returns a member's queued and running jobs.
func (s *store) countActive(ctx context.Context, unit string) (queued, running int, err error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, count(*) FROM reconcile_jobs
		WHERE unit_code = $1 AND state IN ('queued', 'running') GROUP BY state`, unit)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return 0, 0, err
		}
		if State(st) == Queued {
			queued = n
		} else {
			running = n
		}
	}
	return queued, running, rows.Err()
}

// requeue puts back in the queue the jobs a stopped server left running;
// they keep their checkpoint.
func (s *store) requeue(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE reconcile_jobs SET state = 'queued' WHERE state = 'running'`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// claim takes the oldest queued job whose member runs fewer than
// maxRunning jobs, marking it running; ok is false when none can start.
func (s *store) claim(ctx context.Context, maxRunning int) (j Job, ok bool, err error) {
	for range 5 {
		var id string
		err = s.db.QueryRowContext(ctx, `SELECT id FROM reconcile_jobs q WHERE state = 'queued'
			AND (SELECT count(*) FROM reconcile_jobs r WHERE r.unit_code = q.unit_code AND r.state = 'running') < $1
			ORDER BY created_at, id LIMIT 1`, maxRunning).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return j, false, nil
		}
		if err != nil {
			return j, false, err
		}
		res, err := s.db.ExecContext(ctx, `UPDATE reconcile_jobs SET state = 'running',
			started_at = CASE WHEN started_at = '' THEN $2 ELSE started_at END WHERE id = $1 AND state = 'queued'`,
			id, formatTime(time.Now()))
		if err != nil {
			return j, false, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			j, err = s.get(ctx, id)
			return j, err == nil, err
		}
		// Taken or cancelled meanwhile: look again.
	}
	return j, false, nil
}

// setRead records the number of rows of the file once known.
func (s *store) setRead(ctx context.Context, id string, n int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE reconcile_jobs SET records_read = $2 WHERE id = $1`, id, n)
	return err
}

// errNotRunning is returned by checkpoint when the job is no longer
// running (cancelled): the run must stop.
var errNotRunning = errors.New("reconcile job no longer running")

// checkpoint stores a running job's checkpoint and partial counts.
func (s *store) checkpoint(ctx context.Context, id string, decided int64, cp []byte, counts map[string]int64) error {
	c, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE reconcile_jobs SET records_decided = $2, checkpoint = $3, counts = $4
		WHERE id = $1 AND state = 'running'`, id, decided, string(cp), string(c))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNotRunning
	}
	return nil
}

// finish ends a running job in state (done or failed).
func (s *store) finish(ctx context.Context, id string, state State, read, decided int64, counts map[string]int64, msg string) error {
	c := ""
	if counts != nil {
		b, err := json.Marshal(counts)
		if err != nil {
			return err
		}
		c = string(b)
	}
	// A negative read keeps the number recorded.
	_, err := s.db.ExecContext(ctx, `UPDATE reconcile_jobs SET state = $2,
		records_read = CASE WHEN $3 < 0 THEN records_read ELSE $3 END, records_decided = $4,
		counts = CASE WHEN $5 = '' THEN counts ELSE $5 END, error = $6, finished_at = $7 WHERE id = $1 AND state = 'running'`,
		id, string(state), read, decided, c, msg, formatTime(time.Now()))
	return err
}

// setQueued puts a running job back in the queue (a graceful shutdown).
func (s *store) setQueued(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE reconcile_jobs SET state = 'queued' WHERE id = $1 AND state = 'running'`, id)
	return err
}

// cancel marks a queued or running job cancelled; ok is false when it had
// already finished.
func (s *store) cancel(ctx context.Context, id string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE reconcile_jobs SET state = 'cancelled', finished_at = $2
		WHERE id = $1 AND state IN ('queued', 'running')`, id, formatTime(time.Now()))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
