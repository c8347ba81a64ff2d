package secmon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/audit/auditui"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/secmon"
	"github.com/populus-vn/populus/internal/secmon/secmonui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/testlog"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

const password = "mật khẩu thử nghiệm"

// nPeople people of commune 00004 are seeded, all named Nguyễn Văn Bình.
const nPeople = 120

func pinOf(i int) string { return fmt.Sprintf("0010930%05d", 10000+i) }

// env is the platform as populus serve wires it, with the limiter and the
// monitor, over a seeded register, behind the real server.
type env struct {
	t    *testing.T
	srv  *httptest.Server
	log  *audit.Log
	mon  *secmon.Monitor
	logs *testlog.Buffer
}

func newEnv(t *testing.T, d *db.DB, lim secmon.Limits, out secmon.Outliers) *env {
	t.Helper()
	ctx := context.Background()
	seedPeople(t, d)
	alog := audit.New(d)
	t.Cleanup(alog.Close)
	u := units.Default()
	limiter := secmon.NewLimiter(alog, lim)
	// A clock in the middle of a minute, so that no window ends during
	// the test.
	now := time.Date(2026, 12, 6, 10, 20, 5, 0, time.UTC)
	limiter.SetClock(func() time.Time { return now })
	g := auth.NewGuard(auth.NewPolicy(u), limiter)
	st := staff.NewStore(d, staff.TestParams)
	for _, a := range []staff.NewAccount{
		{Username: "reg.a", DisplayName: "A", Role: auth.Registrar, Unit: "00004"},
		{Username: "reg.b", DisplayName: "B", Role: auth.Registrar, Unit: "00004"},
		{Username: "reg.c", DisplayName: "C", Role: auth.Registrar, Unit: "00004"},
		{Username: "reg.d", DisplayName: "D", Role: auth.Registrar, Unit: "00004"},
		{Username: "auditor", DisplayName: "Đỗ Minh Tâm", Role: auth.Auditor, Unit: "VN"},
	} {
		a.Password = password
		if _, err := st.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	logs := &testlog.Buffer{}
	sessions := staff.NewService(st, alog, staff.Options{})
	reg := register.New(d, g, alog, u)
	mon := secmon.New(d, g, alog, limiter, out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Modules: []web.Module{registerui.Module(reg), auditui.Module(audit.NewReader(alog, g), st), secmonui.Module(mon)}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, reg, mon, ui},
		Guards: sessions.Guards(), PageError: ui.RenderError})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, log: alog, mon: mon, logs: logs}
}

func seedPeople(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	created := time.Date(2020, 1, 2, 3, 0, 0, 0, time.UTC)
	addr := people.Address{Unit: "00004", Detail: "1 Phố Quán Thánh"}
	var ps []people.Person
	for i := range nPeople {
		rel := people.Child
		if i == 0 {
			rel = people.Head
		}
		ps = append(ps, people.Person{PIN: pinOf(i), FullName: "Nguyễn Văn Bình", BirthDate: civil.Date{Year: 1993}, Sex: civil.Male,
			BirthPlace: "00004", Hometown: "01", Ethnicity: "01", Religion: "00", Nationality: "VN", Permanent: addr, Current: addr,
			HouseholdID: "HTEST00000001", Relation: rel, Status: people.Alive, Version: 1, CreatedAt: created, UpdatedAt: created})
	}
	im := register.NewImporter(d)
	if err := im.Add(ctx, &people.Household{ID: "HTEST00000001", UnitCode: "00004", Address: addr.Detail, CreatedAt: created}, ps); err != nil {
		t.Fatal(err)
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

type client struct {
	e    *env
	http *http.Client
}

func (e *env) signIn(user string) *client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{e: e, http: &http.Client{Jar: jar}}
	res, err := c.http.Post(e.srv.URL+"/api/v1/session", "application/json",
		strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("sign in as %s: %d", user, res.StatusCode)
	}
	return c
}

type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) get(path string, header ...string) response {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// entries returns the audit entries of actor with action, newest first.
func (e *env) entries(actor, action string) []audit.Entry {
	e.t.Helper()
	all, _, err := e.log.List(context.Background(), "", 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []audit.Entry
	for _, x := range all {
		if x.Actor == actor && x.Action == action {
			out = append(out, x)
		}
	}
	return out
}

func (e *env) events(c *client) []secmon.Event {
	e.t.Helper()
	r := c.get("/api/v1/security/events")
	if r.status != http.StatusOK {
		e.t.Fatalf("security events: %d %s", r.status, r.body)
	}
	var l struct{ Items []secmon.Event }
	if err := json.Unmarshal([]byte(r.body), &l); err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

// An officer who reads or searches beyond the limits is answered 429 with
// Retry-After, the attempt is audited against the person (or as a refused
// search), normal use under the limits is answered, and the rate-limit
// alert reaches the auditors' feed.
func TestReadsBeyondTheLimit(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{audit.Schema, staff.Schema, register.Schema, secmon.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, secmon.Limits{ReadsPerMinute: 20, ReadsPerHour: 30, SearchesPerMinute: 3}, secmon.DefaultOutliers)
		a := e.signIn("reg.a")
		for i := range 20 {
			if r := a.get("/api/v1/persons/" + pinOf(i)); r.status != http.StatusOK {
				t.Fatalf("read %d under the limit: %d %s", i, r.status, r.body)
			}
		}
		// Opening a record again within the window is not a new person.
		if r := a.get("/api/v1/persons/" + pinOf(3)); r.status != http.StatusOK {
			t.Fatalf("a record read again: %d %s", r.status, r.body)
		}
		r := a.get("/api/v1/persons/" + pinOf(20))
		if r.status != http.StatusTooManyRequests || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") ||
			!strings.Contains(r.body, "rate limit") || strings.Contains(r.body, "Nguyễn") {
			t.Fatalf("the 21st person in a minute: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s != 55 {
			t.Errorf("Retry-After %q at 10:20:05, want 55, the seconds to the next minute", r.header.Get("Retry-After"))
		}
		denied := 0
		for _, x := range e.entries("staff:reg.a", string(auth.ReadPerson)) {
			if x.Outcome == audit.Denied && x.Subject == pinOf(20) && strings.Contains(x.Detail, "rate limit") {
				denied++
			}
		}
		if denied != 1 {
			t.Errorf("%d refusals of the 21st read audited against its PIN, want 1", denied)
		}

		// The person's page too: the error page, 429, with Retry-After.
		if r := a.get("/register/persons/"+pinOf(22), "Accept-Language", "en"); r.status != http.StatusTooManyRequests ||
			r.header.Get("Retry-After") != "55" || !strings.Contains(r.body, "Too many requests") || strings.Contains(r.body, "Nguyễn Văn Bình") {
			t.Errorf("the page of a 23rd person: %d %q %.300s", r.status, r.header.Get("Retry-After"), r.body)
		}

		// Searches: 3 a minute; each shows 5 people here.
		b := e.signIn("reg.b")
		for i := range 3 {
			if r := b.get(fmt.Sprintf("/api/v1/persons?name=nguyen&limit=5&cursor=%s", cursorAt(t, b, i))); r.status != http.StatusOK {
				t.Fatalf("search %d: %d %s", i, r.status, r.body)
			}
		}
		r = b.get("/api/v1/persons?name=nguyen&limit=5")
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
			t.Fatalf("the 4th search in a minute: %d %s", r.status, r.body)
		}
		refused := 0
		for _, x := range e.entries("staff:reg.b", string(auth.SearchRegister)) {
			if x.Outcome == audit.Denied && strings.Contains(x.Detail, "searches") {
				refused++
			}
		}
		if refused != 1 {
			t.Errorf("%d refused searches audited, want 1", refused)
		}

		// The alerts, once per account, in the auditors' feed.
		if err := e.mon.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		a.get("/api/v1/persons/" + pinOf(21)) // refused again: no second alert
		if err := e.mon.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		aud := e.signIn("auditor")
		got := map[string]int{}
		for _, ev := range e.events(aud) {
			if ev.Kind == secmon.KindRateLimit {
				got[ev.Actor]++
			}
		}
		if got["staff:reg.a"] != 1 || got["staff:reg.b"] != 1 || len(got) != 2 {
			t.Errorf("rate-limit alerts %v, want one for reg.a and one for reg.b", got)
		}
		// The feed is for nation-wide auditors only, and each read of it
		// is audited.
		if r := a.get("/api/v1/security/events"); r.status != http.StatusForbidden {
			t.Errorf("a registrar read the security events: %d", r.status)
		}
		if n := len(e.entries("staff:auditor", string(secmon.ReadEvents))); n != 1 {
			t.Errorf("%d reads of the security events audited, want 1", n)
		}
	})
}

// cursorAt returns the cursor of the i-th page of 5 results (an unlisted
// cursor for the first), for searches that show different people. It
// reads nothing: cursors are the last name and PIN of the page before.
func cursorAt(t *testing.T, _ *client, i int) string {
	t.Helper()
	if i == 0 {
		return ""
	}
	// A search by name alone pages in PIN order: its cursor is the last PIN.
	return fmt.Sprintf("%x", "\x00"+pinOf(5*i-1))
}

// An account that reads ten times more people than its peers raises an
// alert that the auditors see in the API and on the /security page, in
// Vietnamese and English; its peers do not.
func TestOutlierAlert(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{audit.Schema, staff.Schema, register.Schema, secmon.Schema}, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, secmon.Limits{}, secmon.Outliers{Factor: 5, Floor: 40, MinPeers: 3})
		for _, u := range []string{"reg.a", "reg.b", "reg.c"} {
			c := e.signIn(u)
			for i := range 10 {
				if r := c.get("/api/v1/persons/" + pinOf(i)); r.status != http.StatusOK {
					t.Fatalf("%s: %d %s", u, r.status, r.body)
				}
			}
		}
		suspect := e.signIn("reg.d")
		for i := range 100 {
			if r := suspect.get("/api/v1/persons/" + pinOf(i)); r.status != http.StatusOK {
				t.Fatalf("reg.d: %d %s", r.status, r.body)
			}
		}
		if err := e.mon.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
		aud := e.signIn("auditor")
		var outliers []secmon.Event
		for _, ev := range e.events(aud) {
			if ev.Kind == secmon.KindOutlier {
				outliers = append(outliers, ev)
			}
		}
		if len(outliers) != 1 || outliers[0].Actor != "staff:reg.d" || outliers[0].Count != 100 || outliers[0].Baseline != 10 || outliers[0].Peers != 3 {
			t.Fatalf("outlier alerts %+v, want one for reg.d: 100 people against a median of 10 over 3 peers", outliers)
		}
		for _, tc := range []struct{ lang, title, kind, detail string }{
			{"vi", "Sự kiện an ninh thông tin", "Tra cứu vượt xa mức thông thường", "100 người khác nhau được xem trong giờ, gấp 10.0 lần trung vị của 3 tài khoản Công chức tư pháp – hộ tịch cấp xã (10)"},
			{"en", "Security events", "Reads far above peers", "100 distinct people read in the hour, 10.0× the median of 3 Civil-status registrar accounts of a commune (10)"},
		} {
			r := aud.get("/security", "Accept-Language", tc.lang)
			if r.status != http.StatusOK || !strings.Contains(r.body, tc.title) || !strings.Contains(r.body, tc.kind) ||
				!strings.Contains(r.body, ">reg.d<") || !strings.Contains(r.body, tc.detail) || !strings.Contains(r.body, `href="/security"`) {
				t.Errorf("%s page: %d %.600s", tc.lang, r.status, r.body)
			}
		}
		// Neither the page nor its menu entry for a registrar.
		reg := e.signIn("reg.a")
		if r := reg.get("/security"); r.status != http.StatusForbidden {
			t.Errorf("a registrar opened /security: %d", r.status)
		}
		if r := reg.get("/"); strings.Contains(r.body, `href="/security"`) {
			t.Error("the menu shows the security events to a registrar")
		}
		if s := e.logs.String(); strings.Contains(s, "missing translation") || strings.Contains(s, "render page") {
			t.Errorf("server log:\n%s", s)
		}
	})
}
