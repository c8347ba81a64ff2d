package service

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// TestReviewStore: decisions on a record are kept in order, the latest
// current; a decision whose audit entry fails leaves nothing; the rows of
// another job or line are apart.
func TestReviewStore(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var staffID int64
		if err := d.QueryRowContext(ctx, `INSERT INTO staff (username, display_name, password_hash, role, unit_code, created_at)
			VALUES ('store.officer', 'x', 'x', $1, 'VN', $2) RETURNING id`, string(auth.ServiceOfficer), db.FormatTime(time.Now())).Scan(&staffID); err != nil {
			t.Fatal(err)
		}
		p := auth.Staff(staffID, "store.officer", "x", auth.ServiceOfficer, "VN")
		st := &store{db: d}
		for _, id := range []string{"job-a", "job-b"} {
			tx, err := d.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.insertTx(ctx, tx, &Job{ID: id, Unit: "VN", OwnerID: staffID, Owner: p.Username, Role: p.Role, FileName: "f.csv",
				Mapping: "id=ID", State: Done, Created: time.Now()}); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		ok := func(*sql.Tx) error { return nil }
		save := func(job string, line int, rv Review, also func(*sql.Tx) error) (Review, error) {
			rv.ReviewedAt = time.Now().UTC().Truncate(time.Second)
			err := st.saveReview(ctx, job, line, "rec", p, &rv, also)
			return rv, err
		}
		for i, rv := range []Review{{Outcome: Rejected}, {Outcome: Accepted, PIN: "001090000001", Reason: "same person"}, {Outcome: NotInRegister, Reason: "abroad"}} {
			got, err := save("job-a", 7, rv, ok)
			if err != nil || got.Revision != i+1 {
				t.Fatalf("decision %d: revision %d, %v", i+1, got.Revision, err)
			}
		}
		if _, err := save("job-a", 8, Review{Outcome: Accepted, PIN: "001090000002", Reason: "r"}, ok); err != nil {
			t.Fatal(err)
		}
		if _, err := save("job-b", 7, Review{Outcome: Rejected}, ok); err != nil {
			t.Fatal(err)
		}
		// The audit entry fails: no row, the current decision unchanged.
		if _, err := save("job-a", 7, Review{Outcome: Rejected}, func(*sql.Tx) error { return errors.New("audit refused") }); err == nil {
			t.Fatal("a decision whose audit failed was stored")
		}
		h, err := st.reviewHistory(ctx, "job-a", 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 3 || h[0].Outcome != Rejected || h[1].PIN != "001090000001" || h[2].Outcome != NotInRegister || h[2].Reason != "abroad" || h[2].Reviewer != "store.officer" || h[2].ReviewedAt.IsZero() {
			t.Fatalf("history %+v", h)
		}
		cur, err := st.currentReviews(ctx, "job-a")
		if err != nil {
			t.Fatal(err)
		}
		if len(cur) != 2 || cur[7].Revision != 3 || cur[7].Outcome != NotInRegister || cur[8].PIN != "001090000002" {
			t.Fatalf("current %+v", cur)
		}
		if cur, _ := st.currentReviews(ctx, "job-b"); len(cur) != 1 || cur[7].Outcome != Rejected {
			t.Fatalf("job-b's current %+v", cur)
		}
		// The database holds one current decision per record.
		if _, err := d.ExecContext(ctx, `INSERT INTO reconcile_reviews (job_id, line, revision, record_id, outcome, reviewer_staff_id, reviewer, reviewed_at)
			VALUES ('job-a', 7, 9, 'rec', 'rejected', $1, 'x', 'x')`, staffID); !db.IsUniqueViolation(err) {
			t.Fatalf("a second current decision for a record: %v", err)
		}
	})
}
