package usage_test

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/usage"
)

// FuzzCovertFlag feeds a covert flag as the API reads it (httpx.DecodeJSON,
// then Validate): refused with a problem (4xx) or accepted, and what is
// accepted names a PIN, one access, a legal basis and a date to come within
// the limit. Seeds in testdata/fuzz/FuzzCovertFlag.
func FuzzCovertFlag(f *testing.F) {
	f.Add([]byte(`{"subject":"001190000001","request_id":"VN/COM/VCB/EKYC/1","until":"2026-06-30","legal_basis":"Bộ luật Tố tụng hình sự 2015, Điều 88"}`))
	f.Add([]byte(`{"subject":"001190000001","entry_id":42,"until":"2026-06-30","legal_basis":"abc"}`))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v1/usage/covert", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		var in usage.CovertFlag
		err := httpx.DecodeJSON(httptest.NewRecorder(), req, &in, 4<<10)
		var until time.Time
		if err == nil {
			until, err = in.Validate(now)
		}
		if err != nil {
			if st := problem.KindOf(err).Status(); st < 400 || st >= 500 {
				t.Fatalf("status %d for %q: %v", st, body, err)
			}
			return
		}
		if _, _, perr := pin.Parse(in.Subject); perr != nil || (in.EntryID == 0) == (in.RequestID == "") || in.EntryID < 0 ||
			len(in.LegalBasis) < 3 || !until.After(now) || until.Sub(now) > usage.MaxCovert {
			t.Fatalf("accepted %q as %+v until %v", body, in, until)
		}
	})
}
