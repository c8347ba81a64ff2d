package consent_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// FuzzGrant feeds a consent or a member's request for one, as the API
// reads it (httpx.DecodeJSON, then Validate): any input is refused with a
// problem (4xx) or accepted, and what is accepted keeps the rules and
// validates again unchanged. Seeds in testdata/fuzz/FuzzGrant.
func FuzzGrant(f *testing.F) {
	f.Add([]byte(`{"client":"VN/COM/VCB/EKYC","purpose":"KYC","purpose_description":"Định danh khách hàng","fields":["full_name"],"valid_until":"2027-01-01T00:00:00Z","data_life_days":30,"frequency":{"max":4,"period":"month"}}`), false)
	f.Add([]byte(`{"subject":"001190000001","purpose":"KYC","purpose_description":"x","fields":["full_name","birth_date"],"valid_until":"2026-12-31T23:59:59+07:00","reason":"Mở tài khoản"}`), true)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	purpose := regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,63}$`)
	f.Fuzz(func(t *testing.T, body []byte, member bool) {
		req := httptest.NewRequest("POST", "/api/v1/consent/requests", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		var g consent.Grant
		err := httpx.DecodeJSON(httptest.NewRecorder(), req, &g, 8<<10)
		if err == nil {
			err = g.Validate(now, member)
		}
		if err != nil {
			if st := problem.KindOf(err).Status(); st < 400 || st >= 500 {
				t.Fatalf("status %d for %q: %v", st, body, err)
			}
			return
		}
		if !purpose.MatchString(g.Purpose) || len(g.Fields) == 0 || len(g.Fields) > consent.MaxFields || !g.ValidUntil.After(now) ||
			g.DataLifeDays < 0 || g.DataLifeDays > consent.MaxDataLifeDays || g.Frequency.Max < 0 || (member && g.Client != "") ||
			(!member && !consent.ValidClient(g.Client)) {
			t.Fatalf("accepted %q as %+v", body, g)
		}
		again, _ := json.Marshal(g)
		var g2 consent.Grant
		if err := json.Unmarshal(again, &g2); err != nil {
			t.Fatal(err)
		}
		if err := g2.Validate(now, member); err != nil {
			t.Fatalf("%+v validates once, not twice: %v", g, err)
		}
	})
}
