package db_test

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db/dbtest"
)

// TestWritersQueue: on SQLite this process's writers (InTx, Write) run one
// at a time, each waiting in Go for the one before, and every write lands;
// a writer whose context ends stops waiting.
func TestWritersQueue(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	ctx := context.Background()
	if _, err := d.ExecContext(ctx, `CREATE TABLE gate_t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	var inside, most atomic.Int32
	enter := func() {
		if n := inside.Add(1); n > most.Load() {
			most.Store(n)
		}
		time.Sleep(2 * time.Millisecond)
		inside.Add(-1)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := d.InTx(ctx, func(tx *sql.Tx) error {
				enter()
				_, err := tx.ExecContext(ctx, `INSERT INTO gate_t VALUES ($1)`, i)
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if err := d.Write(ctx, func() error {
				enter()
				_, err := d.ExecContext(ctx, `INSERT INTO gate_t VALUES ($1)`, 100+i)
				return err
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d writers at once, want 1", most.Load())
	}
	var n int
	d.QueryRow(`SELECT count(*) FROM gate_t`).Scan(&n)
	if n != 16 {
		t.Errorf("%d of 16 writes landed", n)
	}
	// A writer whose context ends while another holds the gate stops
	// waiting (and its write fails with the context).
	release := make(chan struct{})
	held := make(chan struct{})
	go d.Write(ctx, func() error { close(held); <-release; return nil })
	<-held
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := d.InTx(cctx, func(tx *sql.Tx) error { return nil })
	close(release)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("InTx with a context ending while the gate is held: %v after %v", err, time.Since(start))
	}
}
