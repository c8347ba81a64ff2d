package usage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/usage"
)

const (
	lanPIN = "001190000001"
	bank   = "VN/COM/VCB/EKYC"
)

var lan = auth.Principal{Kind: auth.KindCitizen, ID: 1, Username: lanPIN, Role: auth.Citizen, Unit: "VN"}

type orgs map[string]string

func (o orgs) OrganisationOf(_ context.Context, actor string) (string, bool) {
	n, ok := o[actor]
	return n, ok
}

type env struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	log *audit.Log
	svc *usage.Service
	now time.Time
}

func newEnv(t *testing.T, d *db.DB) *env {
	log := audit.New(d)
	t.Cleanup(log.Close)
	g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
	e := &env{t: t, ctx: context.Background(), d: d, log: log, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e.svc = usage.New(d, log, audit.NewReader(log, g), g, usage.Options{
		Organisations: []usage.OrganisationOf{orgs{"member:" + bank: "Ngân hàng TMCP Ngoại thương Việt Nam"}},
		Officer: func(_ context.Context, u string) (auth.Role, string, bool) {
			if u == "congan.badinh" {
				return auth.PoliceOfficer, "00004", true
			}
			return "", "", false
		},
		UnitName: func(code string) string { return "Phường Ba Đình" },
		OnBehalf: []string{"system:identity"},
		Checks:   []string{"consent.check"},
		Reach: func(_ context.Context, pr auth.Principal, pin string) error {
			if pr.Unit != "00004" && pr.Unit != "VN" {
				return problem.New(problem.Forbidden, "out of reach")
			}
			return nil
		},
		PurposeName: func(_ context.Context, code string) (string, bool) {
			return map[string]string{"KYC": "Định danh khách hàng khi mở tài khoản"}[code], code == "KYC"
		},
	})
	e.svc.SetClock(func() time.Time { return e.now })
	return e
}

func (e *env) record(entries ...audit.Entry) {
	e.t.Helper()
	if err := e.log.Record(e.ctx, entries...); err != nil {
		e.t.Fatal(err)
	}
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

func (e *env) usage() usage.Page {
	e.t.Helper()
	p, err := e.svc.Usage(e.ctx, lan, "", 50)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// paged reads the person's list limit items a page, following the
// cursors through at most pages pages.
func (e *env) paged(limit, pages int) []usage.Item {
	e.t.Helper()
	var items []usage.Item
	cursor := ""
	for range pages {
		p, err := e.svc.Usage(e.ctx, lan, cursor, limit)
		if err != nil {
			e.t.Fatal(err)
		}
		items = append(items, p.Items...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	return items
}

// The person sees every access to their data by others, with the
// organisation, purpose, legal basis, fields and outcome, newest first;
// their own acts and the platform's bookkeeping are not accesses; an
// officer is shown by role and unit, not by name.
func TestWhoUsedMyData(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{usage.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member := auth.Principal{Kind: auth.KindMember, Username: bank}
		police := auth.Staff(7, "congan.badinh", "Nguyễn Văn Công", auth.PoliceOfficer, "00004")
		matcher := auth.Principal{Kind: auth.KindSystem, Username: "identity", Role: auth.Matcher, Unit: "VN"}
		e.record(
			audit.Of(police, auth.ReadPerson, lanPIN),
			// The citizen's own portal: the matcher's read for it, and the
			// citizen's own read; neither is someone else's access.
			audit.Of(matcher, auth.ReadPerson, lanPIN),
			audit.Of(lan, "identity.self.read", lanPIN),
			audit.Of(member, "exchange.person.read", lanPIN).For("KYC", "consent", "cr-1").Disclosing("full_name", "birth_date"),
			audit.Of(member, "exchange.person.read", lanPIN).For("KYC", "consent", "").Refused("no consent"),
			audit.Of(member, "exchange.person.read", "001190000002").For("KYC", "consent", "cr-2"),
		)
		p := e.usage()
		if len(p.Items) != 3 {
			t.Fatalf("%d items: %+v", len(p.Items), p.Items)
		}
		refused, read, officer := p.Items[0], p.Items[1], p.Items[2]
		if read.Receiver != "Ngân hàng TMCP Ngoại thương Việt Nam" || read.Organisation.Kind != "member" || read.Organisation.ID != bank ||
			read.Purpose != "KYC" || read.PurposeName != "Định danh khách hàng khi mở tài khoản" || read.LegalBasis != "consent" || read.Consent != "cr-1" || strings.Join(read.Fields, ",") != "full_name,birth_date" ||
			read.Outcome != audit.OK || read.ID == 0 || read.Proof == nil {
			t.Errorf("the bank's read: %+v", read)
		}
		// Its inclusion proof is of this entry, and checks out against the
		// log's checkpoint (unsigned here: the test log has no key).
		if read.Proof != nil {
			if err := audit.VerifyProof(*read.Proof, ""); err != nil || read.Proof.Entry != read.ID {
				t.Errorf("the bank's read's proof: %v (entry %d)", err, read.Proof.Entry)
			}
		}
		if refused.Outcome != audit.Denied || refused.ID <= read.ID {
			t.Errorf("the refusal: %+v", refused)
		}
		if officer.Receiver != "Công an, Phường Ba Đình" || officer.Organisation.Role != string(auth.PoliceOfficer) ||
			officer.Organisation.ID != "" || strings.Contains(officer.Receiver, "Nguyễn Văn Công") {
			t.Errorf("the officer: %+v", officer.Organisation)
		}
		// Nor does the officer's proof name them: it holds the leaf's hash,
		// not the entry (which holds the officer's account and address),
		// and still checks out.
		if pr := officer.Proof; pr == nil || pr.LeafData != nil || len(pr.LeafHash) != 32 || audit.VerifyProof(*pr, "") != nil {
			t.Errorf("the officer's proof: %+v", pr)
		} else if b, _ := json.Marshal(p); strings.Contains(string(b), "congan.badinh") {
			t.Errorf("the page names the officer's account: %s", b)
		}
		// Each view is audited (the person's, and the log reader's).
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'usage.read' AND actor = $1", lan.ActorID()); n != 1 {
			t.Errorf("%d views audited", n)
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'audit.read' AND actor = 'system:usage' AND subject = $1", lanPIN); n < 1 {
			t.Errorf("the log reads are not audited")
		}
		// Paging: one at a time, newest first, through all three.
		var seen []int64
		for _, it := range e.paged(1, 5) {
			seen = append(seen, it.ID)
		}
		if len(seen) != 3 || seen[0] != refused.ID || seen[2] != officer.ID {
			t.Errorf("paged %v", seen)
		}
		// findUsage's paging: offset and limit.
		if p, err := e.svc.FindUsage(e.ctx, lan, 1, 1); err != nil || len(p.Items) != 1 || p.Items[0].ID != read.ID {
			t.Errorf("offset 1: %+v %v", p.Items, err)
		}
		if p, err := e.svc.FindUsage(e.ctx, lan, 3, 10); err != nil || len(p.Items) != 0 {
			t.Errorf("offset 3: %+v %v", p.Items, err)
		}
		if _, err := e.svc.FindUsage(e.ctx, lan, -1, 10); !problem.Is(err, problem.Invalid) {
			t.Errorf("a negative offset: %v", err)
		}
		if _, err := e.svc.Usage(e.ctx, lan, "x1", 10); !problem.Is(err, problem.Invalid) {
			t.Errorf("a bad cursor: %v", err)
		}
		if _, err := e.svc.Usage(e.ctx, police, "", 10); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an officer read someone's usage: %v", err)
		}
	})
}

// A police officer flags an access as covert, by entry id or request id:
// hidden from the person until the date, each view that withholds
// entries audited with how many; after the date it is shown with a note.
// Only police officers may flag, and the flag is audited but never shown.
func TestCovertAccesses(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{usage.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member := auth.Principal{Kind: auth.KindMember, Username: "VN/GOV/BCA/C03-INVESTIGATION"}
		e.record(
			audit.Of(member, "exchange.person.read", lanPIN).For("INVESTIGATION", "Bộ luật Tố tụng hình sự 2015, Điều 88", ""),
			audit.Entry{Actor: member.ActorID(), Action: "exchange.person.read", Subject: lanPIN, Outcome: audit.OK, Request: "req-42"},
			audit.Of(auth.Principal{Kind: auth.KindMember, Username: bank}, "exchange.person.read", lanPIN).For("KYC", "consent", "cr-1"),
		)
		p := e.usage()
		if len(p.Items) != 3 {
			t.Fatalf("%d items", len(p.Items))
		}
		byEntry := p.Items[2].ID
		police := auth.Staff(7, "congan.badinh", "", auth.PoliceOfficer, "00004")
		basis := "Bộ luật Tố tụng hình sự 2015, Điều 88"
		if _, err := e.svc.Flag(e.ctx, police, usage.CovertFlag{Subject: lanPIN, EntryID: byEntry, Until: "2026-06-30", LegalBasis: basis}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Flag(e.ctx, police, usage.CovertFlag{Subject: lanPIN, RequestID: "req-42", Until: "2026-04-30", LegalBasis: basis}); err != nil {
			t.Fatal(err)
		}
		// Only within the officer's reach, and an access that happened to
		// this person: an entry about them, a request that made one.
		far := auth.Staff(9, "congan.hcm", "", auth.PoliceOfficer, "26734")
		if _, err := e.svc.Flag(e.ctx, far, usage.CovertFlag{Subject: lanPIN, EntryID: byEntry, Until: "2026-06-30", LegalBasis: basis}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("an officer out of reach flagged: %v", err)
		}
		for _, bad := range []usage.CovertFlag{{EntryID: 99999999}, {EntryID: byEntry - 2 + 100}, {RequestID: "not-yet-used"}} {
			bad.Subject, bad.Until, bad.LegalBasis = lanPIN, "2026-06-30", basis
			if _, err := e.svc.Flag(e.ctx, police, bad); !problem.Is(err, problem.Invalid) {
				t.Errorf("a flag of no access of the person %+v: %v", bad, err)
			}
		}
		registrar := auth.Staff(8, "hotich", "", auth.Registrar, "00004")
		if _, err := e.svc.Flag(e.ctx, registrar, usage.CovertFlag{Subject: lanPIN, RequestID: "req-1", Until: "2026-04-30", LegalBasis: basis}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a registrar flagged: %v", err)
		}
		_, err := e.svc.Flag(e.ctx, police, usage.CovertFlag{Subject: "1", EntryID: byEntry, RequestID: "x", Until: "2026-01-01", LegalBasis: ""})
		if !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "until") || !strings.Contains(err.Error(), "legal_basis") {
			t.Errorf("a bad flag: %v", err)
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'usage.covert.flag' AND outcome = 'ok' AND subject = $1 AND legal_basis = $2", lanPIN, basis); n != 2 {
			t.Errorf("%d flags audited", n)
		}

		// A later access under the flagged request's id is not hidden.
		e.record(audit.Entry{Actor: "member:" + bank, Action: "exchange.person.read", Subject: lanPIN, Outcome: audit.OK, Request: "req-42"})
		p = e.usage()
		if len(p.Items) != 2 || p.Items[0].Request != "req-42" || p.Items[1].Consent != "cr-1" {
			t.Fatalf("while covert: %+v", p.Items)
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'usage.read' AND subject = $1 AND detail LIKE '2 covert%'", lanPIN); n != 1 {
			t.Errorf("%d views say they withheld 2", n)
		}
		// After the first date (through 30 April, Vietnam time), the
		// request's access shows with its note; the other stays hidden.
		e.now = time.Date(2026, 4, 30, 17, 0, 0, 0, time.UTC)
		p = e.usage()
		if len(p.Items) != 3 || p.Items[2].Request != "req-42" || p.Items[2].Covert == nil || p.Items[2].Covert.LegalBasis != basis {
			t.Fatalf("after the first date: %+v", p.Items)
		}
		e.now = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		p = e.usage()
		if len(p.Items) != 4 {
			t.Errorf("after both dates: %d items", len(p.Items))
		}
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'usage.read' AND subject = $1 AND detail LIKE '%covert accesses withheld%'", lanPIN); n != 2 {
			t.Errorf("%d views say they withheld some, want 2", n)
		}
		// One entry a view, whether it withheld or not: the log's size
		// (the public checkpoint's) tells nothing of a flag.
		if n := e.count("SELECT count(*) FROM audit_log WHERE action = 'usage.withheld'"); n != 0 {
			t.Errorf("%d entries beside the views'", n)
		}
	})
}

// A refused consent check and the exchange's refusal of the access it was
// part of, under one request, are one access in the person's list; a
// check under another request is shown.
func TestCheckShownOnceWithItsAccess(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{usage.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member := auth.Principal{Kind: auth.KindMember, Username: bank}
		check := audit.Of(member, "consent.check", lanPIN).For("KYC", "consent", "").Refused("no consent")
		access := audit.Of(member, "exchange.person.read", lanPIN).For("KYC", "consent", "").Refused("no consent")
		check.Request, access.Request = "req-1", "req-1"
		lone := check
		lone.Request = "req-2"
		e.record(lone, check, access)
		p := e.usage()
		if len(p.Items) != 2 || p.Items[0].Action != "exchange.person.read" || p.Items[1].Request != "req-2" {
			t.Errorf("items: %+v", p.Items)
		}
		// Paged one at a time, the access's check does not come back on the
		// page after the access (where the access is not seen).
		var seen []string
		for _, it := range e.paged(1, 4) {
			seen = append(seen, it.Action+" "+it.Request)
		}
		if strings.Join(seen, ", ") != "exchange.person.read req-1, consent.check req-2" {
			t.Errorf("paged: %q", seen)
		}
	})
}

// The tries of one delivery (a change event sent again after a failure)
// are recorded each under the delivery's request: the person sees one
// access, the last try; another event's delivery is another access.
func TestRetriesShownOnce(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{usage.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		member := auth.Principal{Kind: auth.KindMember, Username: bank}
		try := func(request string, n int) audit.Entry {
			en := audit.Of(member, auth.ReadPerson, lanPIN).For("KYC", "consent", "").With(fmt.Sprintf("attempt %d", n))
			en.Request = request
			return en
		}
		e.record(try("events-1-webhook-e1", 1), try("events-1-webhook-e1", 2), try("events-1-webhook-e2", 1), try("events-1-webhook-e1", 3))
		p := e.usage()
		var got []string
		for _, it := range p.Items {
			got = append(got, it.Request)
		}
		if strings.Join(got, ",") != "events-1-webhook-e1,events-1-webhook-e2" {
			t.Errorf("items: %q", got)
		}
	})
}
