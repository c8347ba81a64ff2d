package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// TestEpochCache: a value is remembered at the epoch read before it; a
// move of the store's epoch is seen at once after Invalidate, otherwise
// once the epoch read is older than the TTL, and the value read at the old
// epoch is then forgotten.
func TestEpochCache(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Exec(`CREATE TABLE test_epoch (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		defer d.Exec(`DROP TABLE test_epoch`)
		if _, err := d.Exec(`INSERT INTO test_epoch (id, seq) VALUES (1, 7)`); err != nil {
			t.Fatal(err)
		}
		c := db.NewEpochCache[string]("SELECT seq FROM test_epoch WHERE id = 1", time.Minute, 2)
		now := time.Now()
		ep, err := c.Current(ctx, d, now)
		if err != nil || ep != 7 {
			t.Fatalf("Current = %d, %v; want 7", ep, err)
		}
		c.Put("a", "A", ep)
		if v, ok := c.Get("a", ep); !ok || v != "A" {
			t.Fatalf("Get = %q, %v", v, ok)
		}
		bump := func() {
			if _, err := d.Exec(`UPDATE test_epoch SET seq = seq + 1 WHERE id = 1`); err != nil {
				t.Fatal(err)
			}
		}
		bump()
		// Within the TTL, without Invalidate: the epoch read stands.
		if ep2, _ := c.Current(ctx, d, now.Add(time.Second)); ep2 != 7 {
			t.Errorf("within the TTL, Current = %d, want the epoch read (7)", ep2)
		}
		c.Invalidate()
		ep3, err := c.Current(ctx, d, now.Add(time.Second))
		if err != nil || ep3 != 8 {
			t.Fatalf("after Invalidate, Current = %d, %v; want 8", ep3, err)
		}
		if _, ok := c.Get("a", ep3); ok {
			t.Error("a value read at the old epoch is still used")
		}
		bump()
		if ep4, _ := c.Current(ctx, d, now.Add(2*time.Minute)); ep4 != 9 {
			t.Errorf("past the TTL, Current = %d, want 9", ep4)
		}
		// Bounded: full, the memory starts again.
		c.Put("b", "B", 9)
		c.Put("c", "C", 9)
		c.Put("d", "D", 9)
		if _, ok := c.Get("b", 9); ok {
			t.Error("more values kept than the bound")
		}
		if v, ok := c.Get("d", 9); !ok || v != "D" {
			t.Errorf("the newest value is forgotten: %q %v", v, ok)
		}
	})
}
