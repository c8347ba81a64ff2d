package consentui_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/consent/consentui"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/exchange/exchangeui"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/usage"
	"github.com/populus-vn/populus/internal/usage/usageui"
	"github.com/populus-vn/populus/internal/web"
	"github.com/populus-vn/populus/internal/web/webtest"
)

const bank = "VN/COM/VCB/EKYC"

// memberHeader names the calling subsystem in these tests, in place of the
// exchange's mutual TLS or token.
const memberHeader = "X-Test-Member"

type orgs map[string]string

func (o orgs) OrganisationOf(_ context.Context, actor string) (string, bool) {
	n, ok := o[actor]
	return n, ok
}

type portal struct {
	*identitytest.Env
	srv     *httptest.Server
	consent *consent.Store
	usage   *usage.Service
}

// newPortal serves the identity, the consent and usage capabilities and
// their pages, as cmd/populus does, with a test guard for members.
func newPortal(t *testing.T, d *db.DB) *portal { return newPortalWith(t, d, nil) }

// choices stands in for the exchange's catalogue (exchange.ConsentChoices).
type choices exchange.ConsentChoices

func (c choices) ConsentChoices(context.Context) (exchange.ConsentChoices, error) {
	return exchange.ConsentChoices(c), nil
}

// newPortalWith is newPortal whose consent form offers ch (nil: none).
func newPortalWith(t *testing.T, d *db.DB, ch consentui.Choices) *portal {
	e := identitytest.New(t, d)
	e.ActiveLevel2(e.Lan)
	e.ActiveLevel2(e.Minh)
	master, _ := oidc.NewMasterKey()
	names := orgs{"member:" + bank: "Ngân hàng TMCP Ngoại thương Việt Nam"}
	cs := consent.New(d, e.Log, e.Guard, master)
	cs.SetOrganisations(names)
	st := staff.NewStore(d, staff.TestParams)
	if _, err := st.Create(e.Ctx, staff.NewAccount{Username: "thanhtra", DisplayName: "Thanh tra", Role: auth.Auditor, Unit: "VN", Password: "test-password-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(e.Ctx, staff.NewAccount{Username: "congan", DisplayName: "Nguyễn Văn Công", Role: auth.PoliceOfficer, Unit: identitytest.BaDinh, Password: "test-password-1"}); err != nil {
		t.Fatal(err)
	}
	us := usage.New(d, e.Log, audit.NewReader(e.Log, e.Guard), e.Guard, usage.Options{Organisations: []usage.OrganisationOf{names},
		Reach: func(ctx context.Context, pr auth.Principal, pin string) error {
			return e.Reg.Within(ctx, pr, usage.FlagCovert, pin)
		}})
	sessions := staff.NewService(st, e.Log, staff.Options{})
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The fields' labels, which the register's pages and the exchange's
		// give the served catalog.
		Modules: []web.Module{consentui.Module(cs, ch), usageui.Module(us),
			{Name: "labels", Messages: registerui.Module(nil).Messages}, {Name: "exchange-labels", Messages: exchangeui.Module(nil).Messages}}})
	if err != nil {
		t.Fatal(err)
	}
	guards := sessions.Guards()
	maps.Copy(guards, e.Svc.Guards())
	guards[httpx.AccessMember] = func(next http.Handler, fail httpx.ErrorWriter) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get(memberHeader)
			if id == "" {
				fail(w, r, problem.New(problem.Unauthorized, "no member"))
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Kind: auth.KindMember, Username: id, DisplayName: id})))
		})
	}
	h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, e.Svc, cs, us, ui}, Guards: guards, PageError: ui.RenderError})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &portal{Env: e, srv: srv, consent: cs, usage: us}
}

type client struct {
	t    *testing.T
	p    *portal
	c    *http.Client
	csrf string
}

func (p *portal) citizen(t *testing.T, pin string) *client {
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, p: p, c: &http.Client{Jar: jar}}
	res, err := c.c.Post(p.srv.URL+"/api/v1/identity/session", "application/json",
		strings.NewReader(`{"pin":"`+pin+`","password":"`+identitytest.Password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s identity.SessionResponse
	if err := json.NewDecoder(res.Body).Decode(&s); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("sign in: %d %v", res.StatusCode, err)
	}
	c.csrf = s.CSRFToken
	return c
}

func (c *client) do(method, path, body string, header ...string) (int, string, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.p.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

func grantJSON(extra string) string {
	until := time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339)
	return `{` + extra + `"purpose":"KYC","purpose_description":"Định danh khách hàng","fields":["full_name","birth_date"],` +
		`"valid_until":"` + until + `","data_life_days":30,"frequency":{"max":4,"period":"month"}}`
}

// The API: a member asks, the citizen approves, revokes, gives, reads
// receipts that verify against the published keys; bad input is a problem
// naming the field; another person, an anonymous caller, a member on the
// citizen's routes are refused; "who used my data" lists the bank's access.
func TestAPI(t *testing.T) {
	dbtest.Engines(t, append([]*db.Schema{audit.Schema, staff.Schema, consent.Schema, usage.Schema}, identitytest.Schemas...), func(t *testing.T, d *db.DB) {
		p := newPortal(t, d)
		lan := p.citizen(t, p.Lan.PIN)
		anon := &client{t: t, p: p, c: http.DefaultClient}

		code, ctype, body := anon.do("POST", "/api/v1/consent/requests", grantJSON(`"subject":"`+p.Lan.PIN+`",`), memberHeader, bank)
		if code != http.StatusCreated || !strings.Contains(body, `"status":"pending"`) {
			t.Fatalf("member request: %d %s", code, body)
		}
		var q consent.RequestReceipt
		json.Unmarshal([]byte(body), &q)
		code, ctype, body = anon.do("POST", "/api/v1/consent/requests", `{"subject":"1","purpose":"kyc","fields":[],"valid_until":"2020-01-01T00:00:00Z","oops":1}`, memberHeader, bank)
		if code != http.StatusUnprocessableEntity && code != http.StatusBadRequest || ctype != "application/problem+json" {
			t.Errorf("a bad request: %d %s %s", code, ctype, body)
		}
		code, ctype, body = anon.do("POST", "/api/v1/consent/requests", `{"subject":"1","purpose":"kyc","purpose_description":"x","fields":["a"],"valid_until":"2020-01-01T00:00:00Z"}`, memberHeader, bank)
		if code != http.StatusUnprocessableEntity || ctype != "application/problem+json" || !strings.Contains(body, `"field":"subject"`) || !strings.Contains(body, `"field":"valid_until"`) {
			t.Errorf("bad fields: %d %s %s", code, ctype, body)
		}
		if code, _, _ := anon.do("POST", "/api/v1/consent/requests", grantJSON(`"subject":"`+p.Lan.PIN+`",`)); code != http.StatusUnauthorized {
			t.Errorf("a request without a member: %d", code)
		}
		if code, _, _ := anon.do("GET", "/api/v1/consent/me/requests", ""); code != http.StatusUnauthorized {
			t.Errorf("anonymous requests list: %d", code)
		}
		code, _, body = lan.do("GET", "/api/v1/consent/me/requests", "")
		if code != http.StatusOK || !strings.Contains(body, q.ID) || !strings.Contains(body, "Ngân hàng TMCP Ngoại thương Việt Nam") {
			t.Fatalf("pending: %d %s", code, body)
		}
		minh := p.citizen(t, p.Minh.PIN)
		if code, _, _ := minh.do("POST", "/api/v1/consent/me/requests/"+q.ID+"/approve", ""); code != http.StatusNotFound {
			t.Errorf("another person approved: %d", code)
		}
		csrf := lan.csrf
		lan.csrf = ""
		if code, _, _ := lan.do("POST", "/api/v1/consent/me/requests/"+q.ID+"/approve", ""); code != http.StatusForbidden {
			t.Errorf("approved without the CSRF token: %d", code)
		}
		lan.csrf = csrf
		code, _, body = lan.do("POST", "/api/v1/consent/me/requests/"+q.ID+"/approve", "")
		var dq consent.Request
		if json.Unmarshal([]byte(body), &dq); code != http.StatusOK || dq.ConsentID == "" {
			t.Fatalf("approve: %d %s", code, body)
		}
		if code, _, body := anon.do("GET", "/api/v1/consent/requests/"+q.ID, "", memberHeader, bank); code != http.StatusOK || !strings.Contains(body, dq.ConsentID) {
			t.Errorf("status: %d %s", code, body)
		}
		id, err := p.consent.Authorize(p.Ctx, p.Lan.PIN, bank, "KYC", []string{"full_name"})
		if err != nil || id != dq.ConsentID {
			t.Fatalf("authorize: %q %v", id, err)
		}
		// The exchange's access, as it records it.
		member := auth.Principal{Kind: auth.KindMember, Username: bank}
		if err := p.Log.Record(audit.WithRequest(p.Ctx, "req-1"), audit.Of(member, "exchange.person.read", p.Lan.PIN).For("KYC", "consent", id).Disclosing("full_name")); err != nil {
			t.Fatal(err)
		}
		code, _, body = lan.do("GET", "/api/v1/usage/me?limit=10", "")
		var page usage.Page
		if json.Unmarshal([]byte(body), &page); code != http.StatusOK || len(page.Items) == 0 || page.Items[0].Receiver != "Ngân hàng TMCP Ngoại thương Việt Nam" ||
			page.Items[0].Consent != id || page.Items[0].Request != "req-1" {
			t.Errorf("usage: %d %s", code, body)
		}
		if code, _, _ := lan.do("GET", "/api/v1/usage/me?limit=1000", ""); code != http.StatusUnprocessableEntity {
			t.Errorf("a limit too large: %d", code)
		}

		code, _, body = lan.do("DELETE", "/api/v1/consent/me/records/"+id, "")
		if code != http.StatusOK || !strings.Contains(body, `"status":"revoked"`) {
			t.Errorf("revoke: %d %s", code, body)
		}
		if _, err := p.consent.Authorize(p.Ctx, p.Lan.PIN, bank, "KYC", []string{"full_name"}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("after revoking: %v", err)
		}
		code, _, body = lan.do("POST", "/api/v1/consent/me/records", grantJSON(`"client":"`+bank+`",`))
		if code != http.StatusCreated || !strings.Contains(body, `"version":3`) {
			t.Errorf("give again: %d %s", code, body)
		}
		code, _, body = lan.do("POST", "/api/v1/consent/me/records", `{"client":"bank","purpose":"KYC"}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"client"`) || !strings.Contains(body, `"field":"fields"`) {
			t.Errorf("a bad grant: %d %s", code, body)
		}
		code, _, body = lan.do("GET", "/api/v1/consent/me/records/"+id+"/receipts", "")
		var vs httpx.List[consent.Version]
		if json.Unmarshal([]byte(body), &vs); code != http.StatusOK || len(vs.Items) != 3 {
			t.Fatalf("receipts: %d %s", code, body)
		}
		if code, _, _ := minh.do("GET", "/api/v1/consent/me/records/"+id+"/receipts", ""); code != http.StatusNotFound {
			t.Errorf("another person's receipts: %d", code)
		}
		_, _, keys := anon.do("GET", "/api/v1/consent/keys", "")
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal([]byte(keys), &set); len(set.Keys) != 1 || strings.Contains(keys, `"d"`) {
			t.Errorf("keys %s", keys)
		}
		ks, _ := p.consent.Keys(p.Ctx)
		for _, v := range vs.Items {
			if _, err := consent.Verify(v.Receipt, ks); err != nil {
				t.Errorf("version %d: %v", v.Version, err)
			}
		}
		// A police officer flags the bank's access as covert: hidden from
		// the person; a citizen may not flag.
		police := &client{t: t, p: p}
		jar, _ := cookiejar.New(nil)
		police.c = &http.Client{Jar: jar}
		var ss staff.SessionResponse
		code, _, body = police.do("POST", "/api/v1/session", `{"username":"congan","password":"test-password-1"}`)
		if json.Unmarshal([]byte(body), &ss); code != http.StatusCreated {
			t.Fatalf("police sign-in: %d %s", code, body)
		}
		police.csrf = ss.CSRFToken
		flag := `{"subject":"` + p.Lan.PIN + `","request_id":"req-1","until":"` + time.Now().AddDate(0, 1, 0).Format("2006-01-02") + `","legal_basis":"Bộ luật Tố tụng hình sự 2015, Điều 88"}`
		if code, _, body := police.do("POST", "/api/v1/usage/covert", flag); code != http.StatusCreated {
			t.Errorf("flag: %d %s", code, body)
		}
		if code, _, _ := lan.do("POST", "/api/v1/usage/covert", flag); code != http.StatusUnauthorized {
			t.Errorf("a citizen flagged: %d", code)
		}
		// A flag on an access that is not one: refused, naming the field.
		bad := `{"subject":"` + p.Lan.PIN + `","entry_id":999999,"until":"` + time.Now().AddDate(0, 1, 0).Format("2006-01-02") + `","legal_basis":"Bộ luật Tố tụng hình sự 2015, Điều 88"}`
		if code, _, body := police.do("POST", "/api/v1/usage/covert", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, "entry_id") {
			t.Errorf("a flag on no access: %d %s", code, body)
		}
		// Neither the flags nor the officer's check of the person's reach
		// show in the person's list: the police's interest stays covert.
		code, _, body = lan.do("GET", "/api/v1/usage/me?limit=10", "")
		if code != http.StatusOK || strings.Contains(body, "req-1") || strings.Contains(body, `"kind":"officer"`) {
			t.Errorf("the covert access, or the police's check, is shown: %d %s", code, body)
		}
		if n := p.Count("SELECT count(*) FROM audit_log WHERE actor = 'staff:congan' AND action = $1 AND subject = $2", string(usage.FlagCovert), p.Lan.PIN); n != 2 {
			t.Errorf("%d flag entries about the person, want 2 (the flag, the refused one)", n)
		}

		// An auditor attached to the nation reads the receipts (audited); a
		// police officer may not.
		auditor := &client{t: t, p: p}
		ajar, _ := cookiejar.New(nil)
		auditor.c = &http.Client{Jar: ajar}
		if code, _, _ := auditor.do("POST", "/api/v1/session", `{"username":"thanhtra","password":"test-password-1"}`); code != http.StatusCreated {
			t.Fatalf("auditor sign-in: %d", code)
		}
		if code, _, body := auditor.do("GET", "/api/v1/consent/records/"+id+"/receipts", ""); code != http.StatusOK || strings.Count(body, `"receipt"`) != 3 {
			t.Errorf("the auditor's receipts: %d %s", code, body)
		}
		if code, _, _ := auditor.do("GET", "/api/v1/consent/records/cr-nothing/receipts", ""); code != http.StatusNotFound {
			t.Errorf("an unknown consent: %d", code)
		}
		if code, _, _ := police.do("GET", "/api/v1/consent/records/"+id+"/receipts", ""); code != http.StatusForbidden {
			t.Errorf("a police officer read receipts: %d", code)
		}

		// A member may not use a citizen's routes, nor a citizen a member's.
		if code, _, _ := anon.do("GET", "/api/v1/consent/me/records", "", memberHeader, bank); code != http.StatusUnauthorized {
			t.Errorf("a member on the citizen's route: %d", code)
		}
		if code, _, _ := lan.do("POST", "/api/v1/consent/requests", grantJSON(`"subject":"`+p.Lan.PIN+`",`)); code != http.StatusUnauthorized {
			t.Errorf("a citizen on the member's route: %d", code)
		}
	})
}

// An account of level 1 (opened on the facts of a chip card, which others
// may know) sees neither who used the person's data nor the consents, and
// gives, withdraws and decides none: each is refused, saying how to raise
// the account; raised to level 2, the same requests pass.
func TestLevel1Refused(t *testing.T) {
	p := newPortal(t, dbtest.SQLite(t, append([]*db.Schema{audit.Schema, staff.Schema, consent.Schema, usage.Schema}, identitytest.Schemas...)...))
	if _, err := p.D.ExecContext(p.Ctx, `UPDATE eid_accounts SET level = 1, level2_by = '', level2_at = '' WHERE pin = $1`, p.Minh.PIN); err != nil {
		t.Fatal(err)
	}
	minh := p.citizen(t, p.Minh.PIN)
	give := grantJSON("")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/usage/me", ""},
		{"GET", "/api/v1/consent/me/records", ""},
		{"POST", "/api/v1/consent/me/records", give},
		{"GET", "/api/v1/consent/me/requests", ""},
		{"POST", "/api/v1/consent/me/requests/cr-any/approve", ""},
		{"POST", "/api/v1/consent/me/requests/cr-any/decline", ""},
		{"DELETE", "/api/v1/consent/me/records/cr-any", ""},
	} {
		code, ctype, body := minh.do(c.method, c.path, c.body)
		if code != http.StatusForbidden || ctype != "application/problem+json" || !strings.Contains(body, "level 2") {
			t.Errorf("%s %s at level 1: %d %s %s", c.method, c.path, code, ctype, body)
		}
	}
	for _, path := range []string{"/eid/me/usage", "/eid/me/consents"} {
		code, _, body := minh.do("GET", path, "", "Accept-Language", "vi")
		if code != http.StatusForbidden || !strings.Contains(body, "mức độ 2") {
			t.Errorf("%s at level 1: %d %s", path, code, body)
		}
		// The error page speaks to a citizen and leads back to the portal.
		if !strings.Contains(body, "Tài khoản của bạn không được dùng chức năng này") || strings.Contains(body, "phạm vi quản lý") ||
			!strings.Contains(body, `class="brand" href="/eid/me"`) || !strings.Contains(body, `class="button" href="/eid/me"`) {
			t.Errorf("%s at level 1: an error page for staff: %s", path, body)
		}
	}
	if n := p.Count("SELECT count(*) FROM consent_records"); n != 0 {
		t.Errorf("%d consent records after the refusals", n)
	}
	if _, err := p.D.ExecContext(p.Ctx, `UPDATE eid_accounts SET level = 2 WHERE pin = $1`, p.Minh.PIN); err != nil {
		t.Fatal(err)
	}
	if code, _, body := minh.do("GET", "/api/v1/usage/me", ""); code != http.StatusOK {
		t.Errorf("raised to level 2: %d %s", code, body)
	}
}

// The pages in both languages: the pending request, the consent and the
// access, with their messages.
func TestPages(t *testing.T) {
	d := dbtest.SQLite(t, append([]*db.Schema{audit.Schema, staff.Schema, consent.Schema, usage.Schema}, identitytest.Schemas...)...)
	p := newPortal(t, d)
	lan := p.citizen(t, p.Lan.PIN)
	g := consent.Grant{Subject: p.Lan.PIN, Purpose: "KYC", PurposeText: "Định danh khách hàng", Fields: []string{"full_name"},
		ValidUntil: time.Now().AddDate(0, 6, 0), DataLifeDays: 30, Frequency: consent.Frequency{Max: 4, Period: consent.Month}, Reason: "Mở tài khoản"}
	if _, err := p.consent.Ask(p.Ctx, auth.Principal{Kind: auth.KindMember, Username: bank}, g); err != nil {
		t.Fatal(err)
	}
	if err := p.Log.Record(p.Ctx, audit.Of(auth.Principal{Kind: auth.KindMember, Username: bank}, "exchange.person.read", p.Lan.PIN).For("KYC", "consent", "cr-x"),
		audit.Of(auth.Principal{Kind: auth.KindMember, Username: bank}, "exchange.person.read", p.Lan.PIN).For("FUN", "", "").Refused("no such purpose"),
		audit.Of(auth.Staff(9, "congan", "x", auth.PoliceOfficer, identitytest.BaDinh), auth.ReadPerson, p.Lan.PIN),
		audit.OfActor("client:demo-bank", "oidc.claims", p.Lan.PIN).With("scopes profile").Disclosing("full_name")); err != nil {
		t.Fatal(err)
	}
	// The log signs checkpoints: each access shows its inclusion proof.
	master, err := oidc.NewMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Log.SignCheckpoints(p.Ctx, master); err != nil {
		t.Fatal(err)
	}
	code, _, body := lan.do("GET", "/eid/me/usage", "", "Accept-Language", "vi")
	if code != http.StatusOK || !strings.Contains(body, "Bằng chứng trong nhật ký") || !regexp.MustCompile(`<summary>Có trong nhật ký chống sửa đổi \(mục số \d+ trong \d+ mục\)</summary>`).MatchString(body) ||
		!strings.Contains(body, "<pre>"+audit.Origin) {
		t.Errorf("the usage page shows no inclusion proof: %d %s", code, body)
	}
	for _, lang := range []string{"vi", "en"} {
		for path, want := range map[string]string{"/eid/me/consents": "Mở tài khoản", "/eid/me/usage": "Ngân hàng TMCP Ngoại thương Việt Nam"} {
			code, _, body := lan.do("GET", path, "", "Accept-Language", lang)
			if code != http.StatusOK || !strings.Contains(body, want) {
				t.Errorf("%s %s: %d %s", lang, path, code, body)
			}
			if lang == "vi" {
				main := body[strings.Index(body, "<main"):]
				main = strings.NewReplacer("VN/COM/VCB/EKYC", "", "KYC", "").Replace(main)
				if bad := webtest.Untranslated(main); len(bad) > 0 {
					t.Errorf("%s: English on the Vietnamese page: %v", path, bad)
				}
			}
		}
	}
	// A request for a client and purpose the person has consented to
	// already says that approving replaces that consent; a consent kept 0
	// days says it is not to be kept.
	g0 := g
	g0.Client, g0.Subject, g0.Reason, g0.DataLifeDays = bank, "", "", 0
	if _, err := p.consent.Give(p.Ctx, identity.Account{ID: 1, PIN: p.Lan.PIN}.Principal(""), g0); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string][]string{"vi": {`id="replaces-`, "Đồng ý và thay thế", "phiên bản 1", "không được lưu giữ"}, "en": {"Approve and replace", "not to be kept"}} {
		_, _, body := lan.do("GET", "/eid/me/consents", "", "Accept-Language", lang)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the consents page lacks %q", lang, w)
			}
		}
	}
	// A purpose code a member made up is said to be none of the catalogue's.
	if _, _, body := lan.do("GET", "/eid/me/usage", "", "Accept-Language", "vi"); !strings.Contains(body, "FUN <small>(không có trong danh mục mục đích)</small>") {
		t.Errorf("the usage page shows a made-up purpose as one: %s", body)
	}
	// An officer's read shows what it read (the record) and no blank
	// columns.
	if _, _, body := lan.do("GET", "/eid/me/usage", "", "Accept-Language", "vi"); !strings.Contains(body, "Toàn bộ hồ sơ (cán bộ xem khi thực hiện nhiệm vụ)") || strings.Contains(body, "<td></td>") {
		t.Errorf("an officer's read shows blank columns: %s", body)
	}
	// A service's sign-in says what it was for and on what basis.
	if _, _, body := lan.do("GET", "/eid/me/usage", "", "Accept-Language", "vi"); !strings.Contains(body, "<td>Đăng nhập, xác thực danh tính</td>") || !strings.Contains(body, "<td>Sự đồng ý của bạn khi đăng nhập</td>") {
		t.Errorf("a sign-in at a service shows no purpose or basis: %s", body)
	}
	// A member's request for consent is listed as sent, not as an access.
	if _, _, body := lan.do("GET", "/eid/me/usage", "", "Accept-Language", "vi"); !strings.Contains(body, "Đã gửi đề nghị") {
		t.Errorf("the usage page does not list the request as sent: %s", body)
	}
	// A default purpose of the exchange's catalogue in the page's language.
	for lang, want := range map[string]string{"vi": "<td>Định danh khách hàng khi mở tài khoản</td>", "en": "<td>Identifying a customer opening an account</td>"} {
		if _, _, body := lan.do("GET", "/eid/me/usage", "", "Accept-Language", lang); !strings.Contains(body, want) {
			t.Errorf("%s: the usage page does not name the purpose %s: %s", lang, want, body)
		}
	}
	anon := &client{t: t, p: p, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if code, _, _ := anon.do("GET", "/eid/me/consents", ""); code == http.StatusOK {
		t.Error("the page without a session")
	}

	// The form: a bad one comes back with its errors, in Vietnamese; a good
	// one is recorded.
	post := func(path string, v url.Values) (int, string) {
		req, _ := http.NewRequest("POST", p.srv.URL+path, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept-Language", "vi")
		c := *lan.c
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	form := func(v url.Values) (int, string) { return post("/eid/me/consents", v) }
	v := url.Values{"csrf": {lan.csrf}, "client": {"ngân hàng"}, "purpose": {"KYC"}, "purpose_description": {"Định danh"},
		"fields": {"full_name, birth_date"}, "valid_until": {"2020-01-01"}, "frequency_max": {"4"}}
	if code, body := form(v); code != http.StatusUnprocessableEntity || !strings.Contains(body, "phải là mã hệ thống thành viên") ||
		!strings.Contains(body, "phải là thời điểm trong tương lai") {
		t.Errorf("a bad form: %d", code)
	}
	v.Set("client", bank)
	v.Set("valid_until", time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	// Each mistake linked to its field, named in words.
	v.Set("data_life_days", "ba")
	if code, body := form(v); code != http.StatusUnprocessableEntity || !strings.Contains(body, "Số ngày tổ chức được lưu dữ liệu: phải là một số nguyên") {
		t.Errorf("a bad number: %d", code)
	}
	v.Del("data_life_days")
	v.Set("frequency_max", "-1")
	if code, body := form(v); code != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#f-frequency_max"`) || !strings.Contains(body, `id="f-frequency_max"`) {
		t.Errorf("a negative maximum: %d", code)
	}
	v.Set("frequency_max", "4")
	if code, _ := form(v); code != http.StatusSeeOther {
		t.Errorf("a good form: %d", code)
	}
	recs, err := p.consent.Records(p.Ctx, auth.Principal{Kind: auth.KindCitizen, Username: p.Lan.PIN})
	if err != nil || len(recs) != 1 || recs[0].Frequency != (consent.Frequency{Max: 4, Period: consent.Month}) || len(recs[0].Fields) != 2 {
		t.Errorf("the form's record: %+v %v", recs, err)
	}
	// Revoking asks first, saying what it means; the consent stays in
	// force until confirmed.
	if len(recs) == 1 {
		path := "/eid/me/consents/" + recs[0].ID + "/revoke"
		code, body := post(path, url.Values{"csrf": {lan.csrf}})
		if code != http.StatusOK || !strings.Contains(body, `id="revoke-warning"`) || !strings.Contains(body, "Không thể hoàn tác") ||
			!strings.Contains(body, `name="confirmed" value="yes"`) {
			t.Errorf("revoke without confirming: %d %s", code, body)
		} else if bad := webtest.Untranslated(strings.ReplaceAll(body[strings.Index(body, "<main"):], bank, "")); len(bad) > 0 {
			t.Errorf("the revoke page: English on the Vietnamese page: %v", bad)
		}
		if recs, _ := p.consent.Records(p.Ctx, auth.Principal{Kind: auth.KindCitizen, Username: p.Lan.PIN}); recs[0].Status != consent.StatusActive {
			t.Errorf("revoked before it was confirmed: %s", recs[0].Status)
		}
		if code, _ := post(path, url.Values{"csrf": {lan.csrf}, "confirmed": {"yes"}}); code != http.StatusSeeOther {
			t.Errorf("revoke confirmed: %d", code)
		}
		if recs, _ := p.consent.Records(p.Ctx, auth.Principal{Kind: auth.KindCitizen, Username: p.Lan.PIN}); recs[0].Status != consent.StatusRevoked {
			t.Errorf("not revoked once confirmed: %s", recs[0].Status)
		}
	}
	v.Del("csrf")
	if code, _ := form(v); code != http.StatusForbidden {
		t.Errorf("a form without its CSRF token: %d", code)
	}
}

// purposeCodes are the codes of the exchange's default purposes, whose
// names the usage page translates.
func purposeCodes() []string {
	var out []string
	for _, p := range exchange.DefaultPurposes {
		out = append(out, p.Code)
	}
	return out
}

func TestMessages(t *testing.T) {
	for _, m := range []web.Module{consentui.Module(nil, nil), usageui.Module(nil)} {
		cat := i18n.MustLoad(m.Messages)
		ids, prefixes, err := webtest.MessageIDs(m.Templates)
		if err != nil || len(ids) == 0 {
			t.Fatalf("templates: %d IDs, %v", len(ids), err)
		}
		values := map[string][]string{
			"consent.frequency": {consent.Day, consent.Week, consent.Month, consent.Year},
			"consent.status":    {consent.StatusActive, consent.StatusRevoked, consent.StatusEnded, consent.StatusExpired},
			"consent.ended_by":  {consent.EndedByDeath, consent.EndedByRecovery},
			"usage.outcome":     {audit.OK, audit.Denied, audit.Failed},
			"usage.action":      {"consent.request", "consent.check", "person.read", "register.search", "identity.register", "audit.read", "consent.receipt", "consent.end"},
			"usage.system":      {"identity", "consent"},
			"usage.purpose":     {"oidc.claims", "oidc.ekyc"},
			"usage.basis":       {"oidc.claims", "oidc.ekyc"},
			"usage.field":       {"event:birth", "event:death", "event:name_change", "event:residence_move", "date", "register_version"},
			"purpose":           purposeCodes(),
			"role":              {string(auth.Registrar), string(auth.PoliceOfficer), string(auth.ServiceOfficer), string(auth.Auditor), string(auth.Admin)},
		}
		for _, p := range prefixes {
			vs, ok := values[p]
			if !ok {
				t.Errorf("the template builds message IDs from %q.…, which this test does not enumerate", p)
			}
			for _, v := range vs {
				ids = append(ids, p+"."+v)
			}
		}
		for _, id := range ids {
			for _, lang := range cat.Languages() {
				if _, ok := cat.Lookup(lang, id); !ok {
					t.Errorf("message %q is used but missing from %s.json", id, lang)
				}
			}
		}
	}
}

// In headless Chromium, under the real CSP: a member asks for consent; the
// citizen signs in to the portal, approves it on the consent page, the
// bank reads (recorded in the audit log as the exchange records it), and
// the citizen sees the bank's access in "who used my data".
func TestBrowserConsentAndUsage(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, append([]*db.Schema{audit.Schema, staff.Schema, consent.Schema, usage.Schema}, identitytest.Schemas...), func(t *testing.T, d *db.DB) {
		p := newPortal(t, d)
		member := auth.Principal{Kind: auth.KindMember, Username: bank}
		g := consent.Grant{Subject: p.Lan.PIN, Purpose: "KYC", PurposeText: "Định danh khách hàng mở tài khoản", Fields: []string{"full_name", "birth_date"},
			ValidUntil: time.Now().AddDate(0, 6, 0), DataLifeDays: 30, Frequency: consent.Frequency{Max: 4, Period: consent.Month}}
		q, err := p.consent.Ask(p.Ctx, member, g)
		if err != nil {
			t.Fatal(err)
		}
		// The sign-in page of the portal needs the oidc module; sign in by
		// the API in the browser's own context instead.
		ctx, problems := browsertest.Start(t, 60*time.Second)
		shot := browsertest.Screenshots(t)
		err = chromedp.Do(ctx, chromedp.Navigate(p.srv.URL+"/eid/me/consents"))
		if err != nil {
			t.Fatal(err)
		}
		signedIn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.cookie = "lang=vi; path=/"; fetch("/api/v1/identity/session", {method: "POST", headers: {"Content-Type": "application/json"},
			body: JSON.stringify({pin: "`+p.Lan.PIN+`", password: "`+identitytest.Password+`"})}).then(r => r.status === 201)`, chromedp.EvalAwaitPromise))
		if err != nil || !signedIn {
			t.Fatalf("sign in: %v %v", signedIn, err)
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(p.srv.URL+"/eid/me/consents"),
			chromedp.WaitVisible(chromedp.ID("approve-"+q.ID)),
			shot("consent-request"),
			chromedp.Click(chromedp.ID("approve-"+q.ID)),
			chromedp.WaitVisible(chromedp.CSS(".alert-success")),
			shot("consent-approved"),
		)
		if err != nil {
			t.Fatalf("approve: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#records td.status"))); err != nil || !strings.Contains(status, "Đang hiệu lực") {
			t.Errorf("record status %q %v", status, err)
		}
		id, err := p.consent.Authorize(p.Ctx, p.Lan.PIN, bank, "KYC", []string{"full_name", "birth_date"})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Log.Record(audit.WithRequest(p.Ctx, "VN/COM/VCB/EKYC/req-1"), audit.Of(member, "exchange.person.read", p.Lan.PIN).
			For("KYC", "consent", id).Disclosing("full_name", "birth_date")); err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(p.srv.URL+"/eid/me/usage"),
			chromedp.WaitVisible(chromedp.ID("usage")),
			shot("usage"),
		)
		who, err2 := chromedp.Run(ctx, chromedp.Text(chromedp.ID("usage")))
		if err != nil || err2 != nil || !strings.Contains(who, "Ngân hàng TMCP Ngoại thương Việt Nam") || !strings.Contains(who, "Sự đồng ý của bạn") {
			t.Errorf("who used my data: %q %v %v\n%s", who, err, err2, browsertest.DumpMain(ctx))
		}
		// In English, the platform's own parts and the officers are named
		// in English.
		if err := p.Log.Record(p.Ctx, audit.Of(identity.Matcher(), auth.ReadPerson, p.Lan.PIN), audit.Of(auth.Staff(9, "congan", "x", auth.PoliceOfficer, "VN"), auth.ReadPerson, p.Lan.PIN)); err != nil {
			t.Fatal(err)
		}
		p.Log.Sync(p.Ctx, 5*time.Second)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie = "lang=en; path=/"`)); err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx, chromedp.Navigate(p.srv.URL+"/eid/me/usage"), chromedp.WaitVisible(chromedp.ID("usage")))
		who, err2 = chromedp.Run(ctx, chromedp.Text(chromedp.ID("usage")))
		if err != nil || err2 != nil || !strings.Contains(who, "Electronic identification") || !strings.Contains(who, "An officer") || strings.Contains(who, "Định danh điện tử") {
			t.Errorf("who used my data in English: %q %v %v", who, err, err2)
		}
		// Revoking asks first, then revokes.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie = "lang=vi; path=/"`)); err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(p.srv.URL+"/eid/me/consents"),
			chromedp.Click(chromedp.ID("revoke-"+id)),
			chromedp.WaitVisible(chromedp.ID("revoke-warning")),
			shot("consent-revoke-confirm"),
			chromedp.Click(chromedp.ID("confirm-revoke")),
			chromedp.WaitVisible(chromedp.CSS(".alert-success")),
		)
		if err != nil {
			t.Fatalf("revoke: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#records td.status"))); err != nil || !strings.Contains(status, "Đã thu hồi") {
			t.Errorf("record status after revoking %q %v", status, err)
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("page problems: %s", strings.Join(p, "\n"))
		}
	})
}

// With the exchange's catalogue, the citizen gives a consent by choosing:
// the member's system and the purpose in lists, the fields by their
// names, ticked; the purpose's description is the catalogue's. Headless
// Chromium, under the real CSP.
func TestBrowserConsentByChoice(t *testing.T) {
	browsertest.Require(t)
	d := dbtest.SQLite(t, append([]*db.Schema{audit.Schema, staff.Schema, consent.Schema, usage.Schema}, identitytest.Schemas...)...)
	p := newPortalWith(t, d, choices{Clients: []exchange.Named{{Code: bank, Name: "Ngân hàng TMCP Ngoại thương Việt Nam (eKYC)"}},
		Purposes: []exchange.Named{{Code: "KYC", Name: "Định danh khách hàng mở tài khoản"}}, Fields: []string{"full_name", "birth_date", "status"}})
	ctx, problems := browsertest.Start(t, 60*time.Second)
	shot := browsertest.Screenshots(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.srv.URL+"/eid/me/consents")); err != nil {
		t.Fatal(err)
	}
	signedIn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.cookie = "lang=vi; path=/"; fetch("/api/v1/identity/session", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({pin: "`+p.Lan.PIN+`", password: "`+identitytest.Password+`"})}).then(r => r.status === 201)`, chromedp.EvalAwaitPromise))
	if err != nil || !signedIn {
		t.Fatalf("sign in: %v %v", signedIn, err)
	}
	until := time.Now().AddDate(0, 3, 0).Format("2006-01-02")
	err = chromedp.Do(ctx,
		chromedp.Navigate(p.srv.URL+"/eid/me/consents"),
		chromedp.WaitVisible(chromedp.ID("f-client")),
		chromedp.SetValue(chromedp.ID("f-client"), bank),
		chromedp.SetValue(chromedp.ID("f-purpose"), "KYC"),
		chromedp.Click(chromedp.ID("f-fields")),   // full_name
		chromedp.Click(chromedp.ID("f-fields-1")), // birth_date
		chromedp.SetValue(chromedp.ID("f-valid_until"), until),
		shot("consent-by-choice"),
		chromedp.Click(chromedp.CSS("#give button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	if err != nil {
		t.Fatalf("give: %v\n%s", err, browsertest.DumpMain(ctx))
	}
	labels, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("records")))
	if err != nil || !strings.Contains(labels, "Họ, chữ đệm và tên; Ngày, tháng, năm sinh") {
		t.Errorf("the consent's fields as the citizen reads them: %q %v", labels, err)
	}
	recs, err := p.consent.Records(p.Ctx, auth.Principal{Kind: auth.KindCitizen, Username: p.Lan.PIN})
	if err != nil || len(recs) != 1 || recs[0].Client != bank || recs[0].Purpose != "KYC" || strings.Join(recs[0].Fields, ",") != "full_name,birth_date" ||
		recs[0].PurposeText != "Định danh khách hàng mở tài khoản" {
		t.Errorf("the consent given: %+v %v", recs, err)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %s", strings.Join(p, "\n"))
	}
}

// The purposes offered in the form are named in the page's language where
// they are the exchange's default purposes, the catalogue's name otherwise.
func TestPurposeChoicesTranslated(t *testing.T) {
	d := dbtest.SQLite(t, append([]*db.Schema{audit.Schema, staff.Schema, consent.Schema, usage.Schema}, identitytest.Schemas...)...)
	p := newPortalWith(t, d, choices{Clients: []exchange.Named{{Code: bank, Name: "Ngân hàng TMCP Ngoại thương Việt Nam (eKYC)"}},
		Purposes: []exchange.Named{{Code: "KYC", Name: "Định danh khách hàng khi mở tài khoản"}, {Code: "LOAN", Name: "Thẩm định khoản vay"}}, Fields: []string{"full_name"}})
	lan := p.citizen(t, p.Lan.PIN)
	for lang, want := range map[string][]string{
		"en": {">Identifying a customer opening an account (KYC)<", ">Thẩm định khoản vay (LOAN)<"},
		"vi": {">Định danh khách hàng khi mở tài khoản (KYC)<", ">Thẩm định khoản vay (LOAN)<"},
	} {
		_, _, body := lan.do("GET", "/eid/me/consents", "", "Accept-Language", lang)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: no option %q", lang, w)
			}
		}
	}
	// Sent empty, the form asks to choose the organisation and the
	// purpose, not for codes or a description of its own, and names every
	// other mistake at once (the fields, the end date), each by the form's
	// own label.
	code, _, body := lan.do("POST", "/eid/me/consents", "", "Accept-Language", "vi")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "hãy chọn tổ chức") || !strings.Contains(body, "hãy chọn mục đích") ||
		strings.Contains(body, "phải là mã") || strings.Contains(body, "300") || strings.Contains(body, "là bắt buộc: hãy chọn") ||
		!strings.Contains(body, `href="#f-fields"`) || !strings.Contains(body, `href="#f-valid_until"`) ||
		strings.Contains(body, "Mã hệ thống của tổ chức:") {
		t.Errorf("an empty form: %d %s", code, body)
	}
}
