package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
)

func TestReaderList(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		l := New(d)
		defer l.Close()
		ctx := context.Background()
		const subject = "001203000001"
		for i := 0; i < 7; i++ {
			s := subject
			if i%2 == 1 {
				s = "079190000002"
			}
			if err := l.Record(ctx, Entry{Actor: "staff:a", Action: "person.read", Subject: s, Detail: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		h := NewReader(l, auth.NewGuard(auth.NewPolicy(nil), l)).Routes()[0].Handler
		get := func(pr *auth.Principal, query string) (*httptest.ResponseRecorder, httpx.List[View]) {
			req := httptest.NewRequest("GET", "/api/v1/audit?"+query, nil)
			if pr != nil {
				req = req.WithContext(auth.WithPrincipal(req.Context(), *pr))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var out httpx.List[View]
			if rec.Code == http.StatusOK {
				if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
					t.Fatal(err)
				}
			}
			return rec, out
		}
		auditor := auth.Staff(9, "auditor", "", auth.Auditor, "VN")

		// Pages of two, newest first, cover the subject's four entries,
		// after the record of this very read (a read of the log about a
		// person is an access to be audited too, about that person).
		var details []string
		cursor := ""
		for page := 0; ; page++ {
			rec, out := get(&auditor, "subject="+subject+"&limit=2&cursor="+cursor)
			if rec.Code != http.StatusOK {
				t.Fatalf("page %d: %d %s", page, rec.Code, rec.Body)
			}
			for _, v := range out.Items {
				if v.Subject != subject || v.ID <= 0 {
					t.Errorf("entry %+v", v)
				}
				details = append(details, v.Detail)
			}
			if cursor = out.NextCursor; cursor == "" {
				break
			}
			if page > 5 {
				t.Fatal("paging does not end")
			}
		}
		if got := strings.Join(details, ","); got != ",6,4,2,0" {
			t.Errorf("entries %q, want \",6,4,2,0\"", got)
		}
		// Each read was recorded, before the entries were returned.
		_, reads := get(&auditor, "subject="+subject+"&limit=200")
		n := 0
		_, all := get(&auditor, "limit=200")
		for _, v := range all.Items {
			if v.Action == string(auth.ReadAudit) && v.Actor == auditor.ActorID() && v.Outcome == OK {
				n++
			}
		}
		// 4 entries and 4 reads about the subject (3 pages, then this one);
		// the list of every entry is the fifth read.
		if len(reads.Items) != 8 || n != 5 {
			t.Errorf("%d entries about the subject, %d reads of the log audited; want 8 and 5", len(reads.Items), n)
		}

		for _, tc := range []struct {
			name  string
			pr    *auth.Principal
			query string
			code  int
			field string
		}{
			{"not signed in", nil, "", http.StatusUnauthorized, ""},
			{"an auditor of a province", ptr(auth.Staff(8, "a01", "", auth.Auditor, "01")), "subject=" + subject, http.StatusForbidden, ""},
			{"a registrar", ptr(auth.Staff(7, "r", "", auth.Registrar, "VN")), "", http.StatusForbidden, ""},
			{"limit 0", &auditor, "limit=0", http.StatusUnprocessableEntity, "limit"},
			{"a cursor not returned", &auditor, "cursor=abc", http.StatusUnprocessableEntity, "cursor"},
			{"a long subject", &auditor, "subject=" + strings.Repeat("9", 65), http.StatusUnprocessableEntity, "subject"},
		} {
			rec, _ := get(tc.pr, tc.query)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.field) || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d %s, want %d naming %q", tc.name, rec.Code, rec.Body, tc.code, tc.field)
			}
		}
		// The refusals were audited as denied.
		_, all = get(&auditor, "limit=200")
		denied := 0
		for _, v := range all.Items {
			if v.Action == string(auth.ReadAudit) && v.Outcome == Denied {
				denied++
			}
		}
		if denied != 2 {
			t.Errorf("%d denied reads of the log audited, want 2", denied)
		}
	})
}

func ptr[T any](v T) *T { return &v }
