package consent_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/units"
)

const (
	lanPIN = "001190000001"
	bank   = "VN/COM/VCB/EKYC"
)

var lan = auth.Principal{Kind: auth.KindCitizen, ID: 1, Username: lanPIN, Role: auth.Citizen, Unit: "VN"}

type env struct {
	t   testing.TB
	ctx context.Context
	d   *db.DB
	log *audit.Log
	s   *consent.Store
	now time.Time
}

func newEnv(t testing.TB, d *db.DB) *env {
	log := audit.New(d)
	t.Cleanup(log.Close)
	g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
	master, err := oidc.NewMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), d: d, log: log, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e.s = consent.New(d, log, g, master)
	e.s.SetClock(func() time.Time { return e.now })
	return e
}

func (e *env) grant() consent.Grant {
	return consent.Grant{Client: bank, Purpose: "KYC", PurposeText: "Định danh khách hàng khi mở tài khoản",
		Fields: []string{"full_name", "birth_date", "status"}, ValidUntil: e.now.AddDate(1, 0, 0), DataLifeDays: 30,
		Frequency: consent.Frequency{Max: 4, Period: consent.Month}}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	e.log.Sync(e.ctx, time.Second)
	var n int
	if err := e.d.QueryRowContext(e.ctx, q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func wantRefused(t *testing.T, err error, why string) {
	t.Helper()
	if !problem.Is(err, problem.Forbidden) || !strings.Contains(err.Error(), why) {
		t.Errorf("want a refusal saying %q, got %v", why, err)
	}
}

// A consent lets its subsystem read the fields it covers for its purpose,
// at most 4 times a month; a field it does not cover, another purpose or
// another subsystem is refused, each refusal saying why and audited;
// revoking stops access at once; a change is a new signed version.
func TestConsentLifecycle(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{consent.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"})
		wantRefused(t, err, "no consent")

		r, err := e.s.Give(e.ctx, lan, e.grant())
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != 1 || r.Status != consent.StatusActive || r.ClientName != bank {
			t.Errorf("record %+v", r)
		}
		for i := range 4 {
			id, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name", "status"})
			if err != nil || id != r.ID {
				t.Fatalf("use %d: %q %v", i+1, id, err)
			}
		}
		_, err = e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"})
		wantRefused(t, err, "frequency exceeded")
		// The next month counts again (1 April, Vietnam time).
		e.now = time.Date(2026, 3, 31, 17, 0, 0, 0, time.UTC)
		if _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"}); err != nil {
			t.Errorf("a new month: %v", err)
		}
		_, err = e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name", "permanent_address"})
		wantRefused(t, err, "field permanent_address is not covered")
		_, err = e.s.Authorize(e.ctx, lanPIN, bank, "CREDIT-SCORING", []string{"full_name"})
		wantRefused(t, err, "no consent")
		_, err = e.s.Authorize(e.ctx, lanPIN, "VN/COM/BIDV/EKYC", "KYC", []string{"full_name"})
		wantRefused(t, err, "no consent")

		terms, err := e.s.TermsOf(e.ctx, r.ID)
		if err != nil || terms.DataLifeDays != 30 || !terms.DeleteBy.Equal(e.now.Add(30*24*time.Hour)) {
			t.Errorf("terms %+v %v", terms, err)
		}
		h := http.Header{}
		terms.Header(h)
		if h.Get(consent.HeaderConsent) != r.ID || h.Get(consent.HeaderDataLife) != "P30D" || h.Get(consent.HeaderDeleteBy) != "2026-04-30T17:00:00Z" {
			t.Errorf("headers %v", h)
		}

		// A change is a new version of the same record.
		g := e.grant()
		g.Fields = append(g.Fields, "permanent_address")
		r2, err := e.s.Give(e.ctx, lan, g)
		if err != nil || r2.ID != r.ID || r2.Version != 2 {
			t.Fatalf("second version %+v %v", r2, err)
		}
		if _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"permanent_address"}); err != nil {
			t.Errorf("the new version's field: %v", err)
		}
		rv, err := e.s.Revoke(e.ctx, lan, r.ID)
		if err != nil || rv.Version != 3 || rv.Status != consent.StatusRevoked {
			t.Fatalf("revoke %+v %v", rv, err)
		}
		_, err = e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"})
		wantRefused(t, err, "withdrawn by the person")
		if _, err := e.s.Revoke(e.ctx, lan, r.ID); !problem.Is(err, problem.Conflict) {
			t.Errorf("a second revocation: %v", err)
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'consent.check' AND outcome = 'denied' AND subject = $1", lanPIN); n != 6 {
			t.Errorf("%d refusals audited, want 6", n)
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action IN ('consent.give', 'consent.revoke') AND consent = $1", r.ID); n != 3 {
			t.Errorf("%d changes audited, want 3", n)
		}

		// Expiry.
		e.now = e.now.AddDate(2, 0, 0)
		g.ValidUntil = e.now.AddDate(0, 1, 0)
		if _, err := e.s.Give(e.ctx, lan, g); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.AddDate(0, 2, 0)
		_, err = e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"})
		wantRefused(t, err, "expired")
		recs, err := e.s.Records(e.ctx, lan)
		if err != nil || len(recs) != 1 || recs[0].Status != consent.StatusExpired {
			t.Errorf("records %+v %v", recs, err)
		}

		// Only the holder manages their consents.
		other := lan
		other.Username = "001190000002"
		if _, err := e.s.Revoke(e.ctx, other, r.ID); !problem.Is(err, problem.NotFound) {
			t.Errorf("another person revoked: %v", err)
		}
		staff := auth.Staff(1, "registrar", "", auth.Registrar, "00004")
		if _, err := e.s.Give(e.ctx, staff, e.grant()); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an officer gave consent: %v", err)
		}
	})
}

// Every version's receipt verifies against the published keys, carries the
// Kantara fields with the PIN masked, and a receipt altered in any byte of
// its content fails.
func TestReceiptsVerify(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{consent.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.s.SetSiteURL("https://eid.example.vn/")
		r, err := e.s.Give(e.ctx, lan, e.grant())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Revoke(e.ctx, lan, r.ID); err != nil {
			t.Fatal(err)
		}
		vs, err := e.s.Receipts(e.ctx, lan, r.ID)
		if err != nil || len(vs) != 2 {
			t.Fatalf("versions %d %v", len(vs), err)
		}
		keys, err := e.s.Keys(e.ctx)
		if err != nil || len(keys.Keys) != 1 || !keys.Keys[0].IsPublic() {
			t.Fatalf("keys %+v %v", keys, err)
		}
		for i, v := range vs {
			rc, err := consent.Verify(v.Receipt, keys)
			if err != nil {
				t.Fatalf("version %d: %v", v.Version, err)
			}
			if rc.Record.Version != i+1 || rc.Record.ConsentID != r.ID || rc.PIIPrincipalID != "0011******01" ||
				rc.Jurisdiction != "VN" || rc.Services[0].Purposes[0].PurposeCode != "KYC" || rc.Services[0].Purposes[0].LegalBasis != "consent" ||
				rc.Limits.DataLifeDays != 30 || rc.Limits.FrequencyMax != 4 || rc.PIIControllers[0].ControllerID != bank ||
				rc.PolicyURL != "https://eid.example.vn/eid/me/consents" {
				t.Errorf("receipt %d: %+v", i, rc)
			}
			if strings.Contains(v.Receipt, lanPIN) {
				t.Error("a receipt shows the PIN")
			}
		}
		if rc, _ := consent.Verify(vs[1].Receipt, keys); rc.Record.Status != consent.StatusRevoked || rc.Record.RevokedAt == 0 {
			t.Errorf("the revocation's receipt: %+v", rc.Record)
		}
		// Alter the payload: a different frequency.
		parts := strings.Split(vs[0].Receipt, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		forged := strings.Replace(string(payload), `"frequencyMax":4`, `"frequencyMax":400`, 1)
		if forged == string(payload) {
			t.Fatal("the forgery changed nothing")
		}
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
		if _, err := consent.Verify(strings.Join(parts, "."), keys); err == nil {
			t.Error("a forged receipt verified")
		}
		// A key set without the platform's key verifies nothing.
		if _, err := consent.Verify(vs[0].Receipt, newEnvKeys(t)); err == nil {
			t.Error("a receipt verified under another platform's key")
		}
		// The signing key is sealed at rest.
		var sealed string
		if err := d.QueryRowContext(e.ctx, "SELECT sealed FROM consent_keys").Scan(&sealed); err != nil || strings.Contains(sealed, "PRIVATE") {
			t.Errorf("sealed key %q %v", sealed, err)
		}
		// An auditor attached to the nation reads the receipts, audited; a
		// registrar may not.
		auditor := auth.Staff(2, "thanhtra", "", auth.Auditor, "VN")
		if vs, err := e.s.Receipts(e.ctx, auditor, r.ID); err != nil || len(vs) != 2 {
			t.Errorf("auditor: %d %v", len(vs), err)
		}
		if _, err := e.s.Receipts(e.ctx, auth.Staff(3, "hotich", "", auth.Registrar, "00004"), r.ID); !problem.Is(err, problem.Forbidden) {
			t.Errorf("registrar: %v", err)
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'consent.receipt' AND actor = 'staff:thanhtra' AND subject = $1", lanPIN); n != 1 {
			t.Errorf("%d auditor reads audited", n)
		}
	})
}

// A death registered ends the person's consents inside its transaction:
// each still to run gets a signed version saying so, a member is refused
// in the words a withdrawal gets (telling no death), one withdrawn or
// expired is left as it is, and a death undone ends nothing.
func TestDeathEndsConsents(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{consent.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const insurer = "VN/COM/BAOVIET/CLAIMS"
		kyc, err := e.s.Give(e.ctx, lan, e.grant())
		if err != nil {
			t.Fatal(err)
		}
		g := e.grant()
		g.Client = insurer
		withdrawn, err := e.s.Give(e.ctx, lan, g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Revoke(e.ctx, lan, withdrawn.ID); err != nil {
			t.Fatal(err)
		}
		_, errWithdrawn := e.s.Authorize(e.ctx, lanPIN, insurer, "KYC", []string{"full_name"})
		wantRefused(t, errWithdrawn, "no longer in force")

		// A death whose registration fails later in its transaction.
		undone := errors.New("the death's registration failed")
		if err := d.InTx(e.ctx, func(tx *sql.Tx) error {
			if err := e.s.EndAtDeath(e.ctx, tx, lanPIN); err != nil {
				return err
			}
			return undone
		}); !errors.Is(err, undone) {
			t.Fatal(err)
		}
		if _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"}); err != nil {
			t.Fatalf("a death undone ended the consent: %v", err)
		}

		e.now = e.now.Add(time.Hour)
		for range 2 { // a second call ends nothing more
			if err := d.InTx(e.ctx, func(tx *sql.Tx) error { return e.s.EndAtDeath(e.ctx, tx, lanPIN) }); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"})
		wantRefused(t, err, "no longer in force")
		if err == nil || strings.ReplaceAll(err.Error(), kyc.ID, "ID") != strings.ReplaceAll(errWithdrawn.Error(), withdrawn.ID, "ID") {
			t.Errorf("the refusal after a death %q differs from a withdrawal's %q", err, errWithdrawn)
		}
		rs, err := e.s.Records(e.ctx, lan)
		if err != nil || len(rs) != 2 {
			t.Fatal(rs, err)
		}
		for _, r := range rs {
			switch r.ID {
			case kyc.ID:
				if r.Status != consent.StatusEnded || r.EndedBy != consent.EndedByDeath || r.Version != 2 || !r.RevokedAt.Equal(e.now) {
					t.Errorf("the consent in force at the death: %+v", r)
				}
			case withdrawn.ID:
				if r.Status != consent.StatusRevoked || r.EndedBy != "" || r.Version != 2 {
					t.Errorf("the consent withdrawn before the death: %+v", r)
				}
			}
		}
		vs, err := e.s.Receipts(e.ctx, lan, kyc.ID)
		if err != nil || len(vs) != 2 {
			t.Fatalf("versions %d %v", len(vs), err)
		}
		keys, _ := e.s.Keys(e.ctx)
		rc, err := consent.Verify(vs[1].Receipt, keys)
		if err != nil || rc.Record.Status != consent.StatusEnded || rc.Record.EndedBy != consent.EndedByDeath || rc.Record.RevokedAt != e.now.Unix() {
			t.Errorf("the ending's receipt: %+v %v", rc.Record, err)
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'consent.end' AND actor = 'system:consent' AND subject = $1 AND consent = $2", lanPIN, kyc.ID); n != 1 {
			t.Errorf("%d endings audited, want 1", n)
		}
		// Given again (a death annulled), the record is in force again.
		if r, err := e.s.Give(e.ctx, lan, e.grant()); err != nil || r.Status != consent.StatusActive || r.EndedBy != "" {
			t.Errorf("given again: %+v %v", r, err)
		}
		if _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"}); err != nil {
			t.Errorf("given again: %v", err)
		}
	})
}

func newEnvKeys(t *testing.T) jose.JSONWebKeySet {
	t.Helper()
	d := dbtest.SQLite(t, consent.Schema)
	e := newEnv(t, d)
	if _, err := e.s.Give(e.ctx, lan, e.grant()); err != nil {
		t.Fatal(err)
	}
	set, err := e.s.Keys(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// Concurrent uses never exceed the frequency limit, counted together
// (uses.go) or one by one: of 24 at once under a limit of 5 a day, exactly
// 5 pass; of 96 at once, spread over two consents of a limit of 20 and
// 40, exactly 20 and 40; the store's count agrees.
func TestFrequencyIsAtomic(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{consent.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ids := map[string]string{}
		for purpose, max := range map[string]int{"KYC": 5, "KYC-A": 20, "KYC-B": 40} {
			g := e.grant()
			g.Purpose, g.Frequency = purpose, consent.Frequency{Max: max, Period: consent.Day}
			r, err := e.s.Give(e.ctx, lan, g)
			if err != nil {
				t.Fatal(err)
			}
			ids[purpose] = r.ID
		}
		uses := func(purposes ...string) map[string]int {
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := map[string]int{}
			for _, p := range purposes {
				wg.Go(func() {
					_, err := e.s.Authorize(e.ctx, lanPIN, bank, p, []string{"full_name"})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok[p]++
					case problem.Is(err, problem.Forbidden):
					default:
						t.Errorf("use: %v", err)
					}
				})
			}
			wg.Wait()
			return ok
		}
		if ok := uses(slices.Repeat([]string{"KYC"}, 24)...); ok["KYC"] != 5 {
			t.Errorf("%d of 24 passed under a limit of 5", ok["KYC"])
		}
		var both []string
		for range 48 {
			both = append(both, "KYC-A", "KYC-B")
		}
		ok := uses(both...)
		if ok["KYC-A"] != 20 || ok["KYC-B"] != 40 {
			t.Errorf("passed %v of 48 each, want 20 and 40", ok)
		}
		for p, want := range map[string]int{"KYC": 5, "KYC-A": 20, "KYC-B": 40} {
			if n := e.count("SELECT uses FROM consent_uses WHERE consent_id = $1", ids[p]); n != want {
				t.Errorf("%s: %d uses counted, want %d", p, n, want)
			}
		}
	})
}

// A named use (a change event delivered) counts once a period however
// often it is authorized (retried, or sent on a second channel); a use
// over the limit is refused and leaves its name uncounted, so it is
// refused again; a new period counts the names afresh.
func TestNamedUsesCountOnce(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{consent.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		g := e.grant()
		g.Frequency = consent.Frequency{Max: 2, Period: consent.Day}
		if _, err := e.s.Give(e.ctx, lan, g); err != nil {
			t.Fatal(err)
		}
		use := func(name string) error {
			_, err := e.s.Authorize(consent.WithUse(e.ctx, name), lanPIN, bank, "KYC", []string{"status"})
			return err
		}
		for i := range 3 {
			for _, name := range []string{"ev-1", "ev-2"} {
				if err := use(name); err != nil {
					t.Fatalf("attempt %d of %s: %v", i+1, name, err)
				}
			}
		}
		wantRefused(t, use("ev-3"), "frequency exceeded")
		wantRefused(t, use("ev-3"), "frequency exceeded")
		if err := use("ev-1"); err != nil {
			t.Errorf("a use counted before, once the limit is reached: %v", err)
		}
		wantRefused(t, func() error { _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"status"}); return err }(), "frequency exceeded")
		if n := e.count(`SELECT uses FROM consent_uses`); n != 2 {
			t.Errorf("%d uses counted, want 2", n)
		}
		e.now = e.now.Add(24 * time.Hour)
		for _, name := range []string{"ev-3", "ev-3", "ev-1"} {
			if err := use(name); err != nil {
				t.Errorf("the next day, %s: %v", name, err)
			}
		}
		if n := e.count(`SELECT count(*) FROM consent_use_keys`); n != 2 {
			t.Errorf("%d names kept, want the 2 of the day (the earlier pruned)", n)
		}
	})
}

// A member asks; the request waits in the person's portal; approving gives
// the consent asked for, declining gives nothing; at most 3 pending.
func TestRequests(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{consent.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		m := auth.Principal{Kind: auth.KindMember, Username: bank, DisplayName: "Ngân hàng Ngoại thương"}
		g := e.grant()
		g.Client, g.Subject, g.Reason = "", lanPIN, "Mở tài khoản trực tuyến"
		var ids []string
		for range 3 {
			q, err := e.s.Ask(e.ctx, m, g)
			if err != nil || q.Status != consent.RequestPending {
				t.Fatalf("ask %+v %v", q, err)
			}
			ids = append(ids, q.ID)
		}
		if _, err := e.s.Ask(e.ctx, m, g); !problem.Is(err, problem.RateLimited) {
			t.Errorf("a fourth pending request: %v", err)
		}
		spoof := g
		spoof.PurposeText, spoof.Reason = "Mở tài khoản \u202etại ngân hàng", "Xác nhận tại\u200b https://example.invalid"
		if _, err := e.s.Ask(e.ctx, m, spoof); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "purpose_description") || !strings.Contains(err.Error(), "reason") {
			t.Errorf("a request with invisible characters: %v", err)
		}
		bad := g
		bad.Client, bad.Subject = bank, "12"
		err := func() error { _, err := e.s.Ask(e.ctx, m, bad); return err }()
		if !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "subject") {
			t.Errorf("a bad request: %v", err)
		}
		if _, err := e.s.Ask(e.ctx, lan, g); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a citizen asked: %v", err)
		}
		qs, err := e.s.Requests(e.ctx, lan)
		if err != nil || len(qs) != 3 || qs[0].ClientName != "Ngân hàng Ngoại thương" || qs[0].Reason != "Mở tài khoản trực tuyến" {
			t.Fatalf("requests %+v %v", qs, err)
		}
		if _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"}); err == nil {
			t.Error("a request allowed access before the person decided")
		}
		q, err := e.s.Decide(e.ctx, lan, ids[0], true)
		if err != nil || q.Status != consent.RequestApproved || q.ConsentID == "" {
			t.Fatalf("approve %+v %v", q, err)
		}
		if id, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"}); err != nil || id != q.ConsentID {
			t.Errorf("after approval: %q %v", id, err)
		}
		if _, err := e.s.Decide(e.ctx, lan, ids[0], false); !problem.Is(err, problem.Conflict) {
			t.Errorf("decided twice: %v", err)
		}
		if q, err := e.s.Decide(e.ctx, lan, ids[1], false); err != nil || q.Status != consent.RequestDeclined || q.ConsentID != "" {
			t.Errorf("decline %+v %v", q, err)
		}
		other := lan
		other.Username = "001190000002"
		if _, err := e.s.Decide(e.ctx, other, ids[2], true); !problem.Is(err, problem.NotFound) {
			t.Errorf("another person decided: %v", err)
		}
		st, err := e.s.RequestStatus(e.ctx, m, ids[0])
		if err != nil || st.Status != consent.RequestApproved || st.ConsentID != q.ConsentID && st.ConsentID == "" {
			t.Errorf("status %+v %v", st, err)
		}
		if _, err := e.s.RequestStatus(e.ctx, auth.Principal{Kind: auth.KindMember, Username: "VN/COM/BIDV/EKYC"}, ids[0]); !problem.Is(err, problem.NotFound) {
			t.Errorf("another member read the status: %v", err)
		}
		recs, _ := e.s.Records(e.ctx, lan)
		if len(recs) != 1 || recs[0].Method != consent.MethodRequest {
			t.Errorf("records %+v", recs)
		}
		// With the exchange's rights: a request they do not cover is
		// refused, stored nowhere, and audited.
		e.s.SetEntitlements(entitlements(func(sub, purpose string, fields []string) error {
			if sub == bank && purpose == "KYC" && !slices.Contains(fields, "id_card") {
				return nil
			}
			return problem.Field("fields", "not granted")
		}))
		wide := g
		wide.Fields = []string{"full_name", "id_card"}
		before, _ := e.s.Requests(e.ctx, lan)
		if _, err := e.s.Ask(e.ctx, m, wide); !problem.Is(err, problem.Invalid) {
			t.Errorf("a request beyond the rights: %v", err)
		}
		if qs, _ := e.s.Requests(e.ctx, lan); len(qs) != len(before) {
			t.Errorf("%d requests after one beyond the rights, want %d", len(qs), len(before))
		}
		if _, err := e.s.Ask(e.ctx, m, g); err != nil {
			t.Errorf("a request the rights cover: %v", err)
		}
		// The holder's own consent is held to the same rights: one the
		// subsystem could not use is refused, and the consent in force
		// stays as it was.
		inForce, _ := e.s.Records(e.ctx, lan)
		for _, bad := range []consent.Grant{func() consent.Grant { x := e.grant(); x.Purpose = "NOPE"; return x }(), func() consent.Grant { x := e.grant(); x.Fields = []string{"id_card"}; return x }()} {
			if _, err := e.s.Give(e.ctx, lan, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("the holder's consent beyond the rights (%s %v): %v", bad.Purpose, bad.Fields, err)
			}
		}
		if after, _ := e.s.Records(e.ctx, lan); len(after) != len(inForce) || len(after) > 0 && after[0].Version != inForce[0].Version {
			t.Errorf("a refused consent changed the records: %+v, were %+v", after, inForce)
		}
		// Declined twice in 30 days: the subsystem asks no more.
		if _, err := e.s.Decide(e.ctx, lan, ids[2], false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Ask(e.ctx, m, g); !problem.Is(err, problem.RateLimited) || !strings.Contains(err.Error(), "declined 2") {
			t.Errorf("a request after two declines: %v", err)
		}
		e.now = e.now.Add(31 * 24 * time.Hour)
		if _, err := e.s.Ask(e.ctx, m, g); err != nil {
			t.Errorf("a request a month after: %v", err)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = 'denied'`, string(consent.ActionRequest)); n != 1 {
			t.Errorf("%d refused requests audited", n)
		}
	})
}

// entitlements is a consent.Entitlements of a function.
type entitlements func(sub, purpose string, fields []string) error

func (f entitlements) Entitled(_ context.Context, sub, purpose string, fields []string) error {
	return f(sub, purpose, fields)
}

// A grant is checked field by field, every error named at once, and
// nothing is stored.
func TestGrantValidation(t *testing.T) {
	d := dbtest.SQLite(t, consent.Schema)
	e := newEnv(t, d)
	g := consent.Grant{Client: "VCB", Purpose: "kyc", Fields: []string{"Full Name", "x", "x"}, ValidUntil: e.now.Add(-time.Hour),
		DataLifeDays: -1, Frequency: consent.Frequency{Max: 3, Period: "fortnight"}}
	_, err := e.s.Give(e.ctx, lan, g)
	var pe *problem.Error
	if !problem.Is(err, problem.Invalid) || !errors.As(err, &pe) {
		t.Fatalf("%v", err)
	}
	got := map[string]bool{}
	for _, f := range pe.Fields {
		got[f.Field] = true
	}
	for _, f := range []string{"client", "purpose", "purpose_description", "fields[0]", "fields[2]", "valid_until", "data_life_days", "frequency.period"} {
		if !got[f] {
			t.Errorf("no error on %s: %+v", f, pe.Fields)
		}
	}
	if n := e.count("SELECT count(*) FROM consent_records"); n != 0 {
		t.Errorf("%d records stored", n)
	}
}

// The exchange calls the store through this method set (the agreed seam).
var _ interface {
	Authorize(ctx context.Context, subject, client, purpose string, fields []string) (consentID string, err error)
} = (*consent.Store)(nil)

// The consent check remembers the records it has read (cache.go): a
// change this store makes holds at once; a change behind its back (another
// process: the command line, another instance) within the epoch's TTL,
// not before the epoch is read again; an end inside a transaction the
// caller commits later (a death) holds from the commit on, with the record
// read and remembered in between.
func TestRememberedRecords(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{consent.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		g := e.grant()
		g.Frequency = consent.Frequency{}
		r, err := e.s.Give(e.ctx, lan, g)
		if err != nil {
			t.Fatal(err)
		}
		use := func() error {
			_, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", []string{"full_name"})
			return err
		}
		if err := use(); err != nil {
			t.Fatal(err)
		}
		// Another process narrows the consent's fields: this process
		// learns it when it reads the epoch again.
		if _, err := d.ExecContext(e.ctx, `UPDATE consent_records SET fields = 'birth_date' WHERE id = $1`, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := use(); err != nil {
			t.Errorf("within the epoch's TTL the record remembered holds: %v", err)
		}
		e.now = e.now.Add(2 * time.Second)
		wantRefused(t, use(), "field full_name is not covered")

		// Given again with the field: at once.
		if _, err := e.s.Give(e.ctx, lan, g); err != nil {
			t.Fatal(err)
		}
		if err := use(); err != nil {
			t.Fatalf("given again: %v", err)
		}
		// A death's transaction: checks while it runs see the consent in
		// force, those after its commit see it ended, at once.
		if err := d.InTx(e.ctx, func(tx *sql.Tx) error {
			if err := e.s.EndAtDeath(e.ctx, tx, lanPIN); err != nil {
				return err
			}
			if err := use(); err != nil {
				t.Errorf("before the death's commit: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, use(), "no longer in force")
		// Withdrawn and given again by this store: at once each time.
		if _, err := e.s.Give(e.ctx, lan, g); err != nil {
			t.Fatal(err)
		}
		if err := use(); err != nil {
			t.Fatalf("given again: %v", err)
		}
		if _, err := e.s.Revoke(e.ctx, lan, r.ID); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, use(), "no longer in force")
	})
}
