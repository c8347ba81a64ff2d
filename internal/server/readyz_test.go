package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// TestReadyzReportsTheAuditStore: /readyz answers 503 while the audit log
// cannot be written, and 200 again once it recovers, with no restart.
func TestReadyzReportsTheAuditStore(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	// A buffered log commits to audit_log itself; a strict one on SQLite
	// writes a journal first, which renaming the table does not break
	// (internal/audit tests a failing journal).
	al := audit.NewBuffered(d, 5*time.Millisecond)
	defer al.Close()
	h, err := New(Deps{DB: d, Audit: al, Capabilities: allCapabilities(), Guards: openGuards(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ready := func() (int, map[string]string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		var body map[string]string
		json.Unmarshal(rec.Body.Bytes(), &body)
		return rec.Code, body
	}
	if code, body := ready(); code != http.StatusOK || body["audit"] != "ok" {
		t.Fatalf("/readyz = %d %v, want 200 with audit ok", code, body)
	}
	if _, err := d.Exec(`ALTER TABLE audit_log RENAME TO audit_log_gone`); err != nil {
		t.Fatal(err)
	}
	if err := al.Record(context.Background(), audit.Entry{Actor: "staff:a", Action: "person.read", Subject: "x"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200 && al.Ready() == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if err := al.Record(context.Background(), audit.Entry{Actor: "staff:a", Action: "person.read", Subject: "x"}); err == nil {
		t.Fatal("Record succeeded with the audit table gone")
	}
	if code, body := ready(); code != http.StatusServiceUnavailable || body["audit"] != "failing" {
		t.Errorf("with the audit store failing, /readyz = %d %v, want 503 with audit failing", code, body)
	}
	if _, err := d.Exec(`ALTER TABLE audit_log_gone RENAME TO audit_log`); err != nil {
		t.Fatal(err)
	}
	code, body := 0, map[string]string(nil)
	for i := 0; i < 200 && code != http.StatusOK; i++ {
		time.Sleep(10 * time.Millisecond)
		code, body = ready()
	}
	if code != http.StatusOK {
		t.Errorf("2 s after the audit store works again, /readyz = %d %v", code, body)
	}
}
