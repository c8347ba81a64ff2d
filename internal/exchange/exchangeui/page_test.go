package exchangeui_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/exchange/exchangeui"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
	"github.com/populus-vn/populus/internal/web/webtest"
)

const password = "mật-khẩu-đủ-dài-2025"

// site serves the exchange and its page over SQLite, with three
// accounts: a national administrator, a registrar, Hà Nội's administrator.
type site struct {
	srv *httptest.Server
	x   *exchange.Exchange
	log *audit.Log
	d   *db.DB
}

func newSite(t *testing.T) site {
	ctx := context.Background()
	d := dbtest.SQLite(t, audit.Schema, staff.Schema, exchange.Schema)
	log := audit.New(d)
	t.Cleanup(log.Close)
	g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
	master, _ := oidc.NewMasterKey()
	x := exchange.New(exchange.Options{DB: d, Audit: log, Guard: g, Master: master})
	if err := x.EnsureCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	st := staff.NewStore(d, staff.TestParams)
	for _, a := range []staff.NewAccount{
		{Username: "admin", DisplayName: "Quản trị", Role: auth.Admin, Unit: "VN"},
		{Username: "registrar", DisplayName: "Hộ tịch", Role: auth.Registrar, Unit: "VN"},
		{Username: "admin.hanoi", DisplayName: "Quản trị Hà Nội", Role: auth.Admin, Unit: "01"},
	} {
		a.Password = password
		if _, err := st.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	sessions := staff.NewService(st, log, staff.Options{Guard: g})
	// The register's page names its fields (field.<name>), as in the
	// platform, where both pages are served.
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(registerui.Module(nil).Messages), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: []web.Module{exchangeui.Module(x)}})
	if err != nil {
		t.Fatal(err)
	}
	guards := sessions.Guards()
	maps.Copy(guards, x.Guards())
	h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, x, ui}, Guards: guards, PageError: ui.RenderError})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return site{srv: srv, x: x, log: log, d: d}
}

// The page, as an administrator sees it in Vietnamese and English: the
// members within reach, the catalogue, the rights; a member added from
// it, and revoked; a registrar is refused.
func TestPage(t *testing.T) {
	ctx := context.Background()
	st := newSite(t)
	srv, x, log, d := st.srv, st.x, st.log, st.d
	get := func(c *http.Client, lang string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/exchange", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	admin, csrf := signIn(t, srv, "admin")
	form := url.Values{"csrf": {csrf}, "member_id": {"VN/COM/VCB"}, "member_name": {"Ngân hàng Demo"}, "unit_code": {"VN"}}
	res, err := admin.PostForm(srv.URL+"/exchange/members", form)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %v %v", res.StatusCode, err)
	}
	form.Set("member_id", "VN/XYZ/1")
	res, _ = admin.PostForm(srv.URL+"/exchange/members", form)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "XYZ") {
		t.Errorf("a bad member id: %d", res.StatusCode)
	}
	code, vi := get(admin, "vi")
	if code != 200 || !strings.Contains(vi, "Ngân hàng Demo") || !strings.Contains(vi, "Danh mục dịch vụ") || !strings.Contains(vi, "HEALTH-INSURANCE-CHECK") {
		t.Fatalf("vi: %d", code)
	}
	for _, bad := range webtest.Untranslated(vi) {
		t.Errorf("English or a code on the Vietnamese page: %s", bad)
	}
	if code, en := get(admin, "en"); code != 200 || !strings.Contains(en, "Access rights") {
		t.Errorf("en: %d", code)
	} else if !strings.Contains(en, "Identifying a customer opening an account (KYC)") || strings.Contains(en, "Định danh khách hàng khi mở tài khoản (KYC)") {
		t.Error("the grant form's purposes are not named in English")
	}
	// A system of the member, its certificate, a right: from the page.
	res, _ = admin.PostForm(srv.URL+"/exchange/subsystems", url.Values{"csrf": {csrf}, "subsystem_member": {"VN/COM/VCB"}, "subsystem_code": {"EKYC"}, "subsystem_name": {"Định danh khách hàng"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a subsystem: %d", res.StatusCode)
	}
	res, _ = admin.PostForm(srv.URL+"/exchange/subsystems", url.Values{"csrf": {csrf}, "subsystem_member": {"VN/COM/VCB"}, "subsystem_code": {"E K"}, "subsystem_name": {" "}, "public_jwk": {"{}"}})
	b, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `href="#f-subsystem_code"`) || !strings.Contains(string(b), `href="#f-public_jwk"`) ||
		!strings.Contains(string(b), `href="#f-subsystem_name"`) {
		t.Errorf("a bad subsystem: %d", res.StatusCode)
	}
	for _, bad := range webtest.Untranslated(string(b)) {
		t.Errorf("English on the Vietnamese page of a bad subsystem: %s", bad)
	}
	res, _ = admin.PostForm(srv.URL+"/exchange/certificates", url.Values{"csrf": {csrf}, "id": {"VN/COM/VCB/EKYC"}})
	bundle, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" || !strings.Contains(res.Header.Get("Content-Disposition"), "VN_COM_VCB_EKYC.pem") {
		t.Fatalf("certificate: %d %v", res.StatusCode, res.Header)
	}
	cert, err := tls.X509KeyPair(bundle, bundle)
	if err != nil {
		t.Fatalf("the downloaded key and certificate: %v", err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	caPEM, _ := x.CACertificate(ctx)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil || leaf.Subject.CommonName != "VN/COM/VCB/EKYC" ||
		!strings.Contains(string(bundle), string(caPEM)) {
		t.Errorf("the downloaded certificate: %s %v", leaf.Subject, err)
	}
	// For the member's own signing request: the certificate alone, for its
	// key; a request that is not one comes back with its error.
	memberKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csrDER, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, memberKey)
	csr := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}))
	res, _ = admin.PostForm(srv.URL+"/exchange/certificates", url.Values{"csrf": {csrf}, "id": {"VN/COM/VCB/EKYC"}, "csr": {csr}})
	forCSR, _ := io.ReadAll(res.Body)
	if blk, _ := pem.Decode(forCSR[bytes.Index(forCSR, []byte("-----BEGIN")):]); res.StatusCode != 200 || bytes.Contains(forCSR, []byte("PRIVATE KEY")) || blk == nil || blk.Type != "CERTIFICATE" {
		t.Errorf("a certificate for a signing request: %d %s", res.StatusCode, forCSR)
	} else if c, err := x509.ParseCertificate(blk.Bytes); err != nil || !memberKey.PublicKey.Equal(c.PublicKey) {
		t.Errorf("the certificate is not for the request's key: %v", err)
	}
	res, _ = admin.PostForm(srv.URL+"/exchange/certificates", url.Values{"csrf": {csrf}, "id": {"VN/COM/VCB/EKYC"}, "csr": {"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"}})
	b, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `href="#f-csr"`) {
		t.Errorf("a bad signing request: %d", res.StatusCode)
	}
	serial := hex.EncodeToString(leaf.SerialNumber.Bytes())
	if _, vi := get(admin, "vi"); !strings.Contains(vi, serial) {
		t.Errorf("the page does not list the certificate %s", serial)
	}
	grant := url.Values{"csrf": {csrf}, "right_subsystem": {"VN/COM/VCB/EKYC"}, "right_service": {exchange.Platform + "/person"},
		"right_fields": {"full_name", "birth_date"}, "right_purposes": {"KYC"}}
	res, _ = admin.PostForm(srv.URL+"/exchange/rights", grant)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("grant: %d", res.StatusCode)
	}
	if rs, err := x.Rights(ctx, "VN/COM/VCB/EKYC"); err != nil || len(rs) != 1 || strings.Join(rs[0].Fields, ",") != "full_name,birth_date" || strings.Join(rs[0].Purposes, ",") != "KYC" {
		t.Errorf("the right granted: %+v %v", rs, err)
	}
	// The services table links to the form with its service chosen: the
	// fields shown are that service's (the others hidden, for the script
	// to show when another service is chosen).
	req, _ := http.NewRequest("GET", srv.URL+"/exchange?service="+url.QueryEscape(exchange.Platform+"/verify"), nil)
	res, _ = admin.Do(req)
	b, _ = io.ReadAll(res.Body)
	grantForm := string(b)[strings.Index(string(b), `id="grant"`):]
	box := func(field string) string {
		m := regexp.MustCompile(`<div class="radio"( hidden)?>\s*<input type="checkbox" id="[^"]+" name="right_fields" value="` + field + `"`).FindStringSubmatch(grantForm)
		if m == nil {
			return "absent"
		}
		return map[bool]string{true: "hidden", false: "shown"}[m[1] != ""]
	}
	if box("age_at_least") != "shown" || box("religion") != "hidden" ||
		!strings.Contains(grantForm, `<option value="`+exchange.Platform+`/verify" selected>`) {
		t.Errorf("the grant form for the verification service: age_at_least %s, religion %s", box("age_at_least"), box("religion"))
	}
	// Withdrawn from the page; by a province's administrator, refused.
	hanoiW, hanoiWCSRF := signIn(t, srv, "admin.hanoi")
	if res, _ := hanoiW.PostForm(srv.URL+"/exchange/rights/withdraw", url.Values{"csrf": {hanoiWCSRF}, "subsystem": {"VN/COM/VCB/EKYC"}, "service": {exchange.Platform + "/person"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a province's administrator withdraws a register right: %d", res.StatusCode)
	}
	if res, _ := admin.PostForm(srv.URL+"/exchange/rights/withdraw", url.Values{"csrf": {csrf}, "subsystem": {"VN/COM/VCB/EKYC"}, "service": {exchange.Platform + "/person"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("withdraw: %d", res.StatusCode)
	}
	if rs, err := x.Rights(ctx, "VN/COM/VCB/EKYC"); err != nil || len(rs) != 0 {
		t.Errorf("the rights after the withdrawal: %+v %v", rs, err)
	}
	grant["right_fields"] = []string{"full_name", "card"}
	res, _ = admin.PostForm(srv.URL+"/exchange/rights", grant)
	b, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `href="#f-right_fields"`) || !strings.Contains(string(b), "card") {
		t.Errorf("a field not of the service: %d", res.StatusCode)
	}
	// The register's rights are the nation's to grant: not a province's
	// administrator's, who cannot issue a national member's certificate.
	hanoi, hanoiCSRF := signIn(t, srv, "admin.hanoi")
	grant["csrf"], grant["right_fields"] = []string{hanoiCSRF}, []string{"full_name"}
	if res, _ := hanoi.PostForm(srv.URL+"/exchange/rights", grant); res.StatusCode != http.StatusForbidden {
		t.Errorf("a province's administrator grants the register: %d", res.StatusCode)
	}
	if res, _ := hanoi.PostForm(srv.URL+"/exchange/certificates", url.Values{"csrf": {hanoiCSRF}, "id": {"VN/COM/VCB/EKYC"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a province's administrator issues a national member's certificate: %d", res.StatusCode)
	}
	if res, _ := hanoi.PostForm(srv.URL+"/exchange/certificates/revoke", url.Values{"csrf": {hanoiCSRF}, "serial": {serial}, "confirmed": {"yes"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a province's administrator revokes a national member's certificate: %d", res.StatusCode)
	}
	// A revocation cannot be undone: the first post asks to confirm it,
	// naming what is revoked, and revokes nothing.
	res, _ = admin.PostForm(srv.URL+"/exchange/certificates/revoke", url.Values{"csrf": {csrf}, "serial": {serial}})
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="confirm-warning"`) || !strings.Contains(string(body), serial) || !strings.Contains(string(body), `name="confirmed" value="yes"`) {
		t.Errorf("revoke the certificate, unconfirmed: %d %s", res.StatusCode, body)
	}
	if cs, _ := x.Certificates(ctx, "VN/COM/VCB/EKYC"); slices.ContainsFunc(cs, func(c exchange.Certificate) bool { return !c.RevokedAt.IsZero() }) {
		t.Error("a certificate revoked before the revocation was confirmed")
	}
	if res, _ := admin.PostForm(srv.URL+"/exchange/certificates/revoke", url.Values{"csrf": {csrf}, "serial": {serial}, "confirmed": {"yes"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke the certificate: %d", res.StatusCode)
	}
	if cs, err := x.Certificates(ctx, "VN/COM/VCB/EKYC"); err != nil || len(cs) != 2 || !slices.ContainsFunc(cs, func(c exchange.Certificate) bool { return c.Serial == serial && !c.RevokedAt.IsZero() }) {
		t.Errorf("the certificate after its revocation: %+v %v", cs, err)
	}
	var entries int
	log.Sync(ctx, 5*time.Second)
	d.QueryRow(`SELECT count(*) FROM audit_log WHERE action = $1 AND actor = 'staff:admin' AND (detail LIKE 'subsystem added%' OR detail LIKE 'granted %' OR detail LIKE 'certificate issued%' OR detail LIKE 'certificate revoked%' OR detail LIKE 'right withdrawn%')`, string(exchange.ManageExchange)).Scan(&entries)
	if entries != 6 {
		t.Errorf("%d of the page's changes audited, want 6", entries)
	}
	if code, vi := get(admin, "vi"); !strings.Contains(vi, "Cấp chứng chỉ") || !strings.Contains(vi, `id="grant"`) {
		t.Errorf("the page offers no certificate or grant: %d %s", code, vi[max(0, len(vi)-3000):])
	}
	res, _ = admin.PostForm(srv.URL+"/exchange/revoke", url.Values{"csrf": {csrf}, "id": {"VN/COM/VCB"}, "confirmed": {"yes"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	if _, vi := get(admin, "vi"); !strings.Contains(vi, "Đã thu hồi") {
		t.Error("the revoked member is not shown revoked")
	}
	reg, _ := signIn(t, srv, "registrar")
	if code, _ := get(reg, "vi"); code != http.StatusForbidden {
		t.Errorf("a registrar: %d", code)
	}
}

// A member's service published from the page, its mistakes sent back on
// their fields, then removed from it; the buttons to remove a service or
// withdraw a right are offered only within the provider's reach.
func TestPagePublish(t *testing.T) {
	ctx := context.Background()
	st := newSite(t)
	srv, x := st.srv, st.x
	if _, err := x.AddMember(ctx, exchange.Member{ID: "VN/COM/VCB", Name: "Ngân hàng Demo", Unit: "VN"}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.AddSubsystem(ctx, "VN/COM/VCB/EKYC", "Định danh khách hàng", nil); err != nil {
		t.Fatal(err)
	}
	page := func(c *http.Client) string {
		res, err := c.Get(srv.URL + "/exchange")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("the page: %v %v", res.StatusCode, err)
		}
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	admin, csrf := signIn(t, srv, "admin")
	svc := "VN/COM/VCB/EKYC/accounts"
	form := url.Values{"csrf": {csrf}, "service_provider": {"VN/COM/VCB/EKYC"}, "service_code": {"a b"}, "service_title": {"Tài khoản"},
		"base_url": {"http://example.com/x"}, "service_fields": {"account, open date"}, "endpoints": {"GET /accounts/{id}\nFROB x"}, "openapi": {`{"openapi":"2.0"}`}}
	res, _ := admin.PostForm(srv.URL+"/exchange/services", form)
	b, _ := io.ReadAll(res.Body)
	for _, f := range []string{"service_code", "base_url", "service_fields", "endpoints", "openapi"} {
		if !strings.Contains(string(b), `href="#f-`+f+`"`) {
			t.Errorf("a bad service: %d, no error on %s", res.StatusCode, f)
		}
	}
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a bad service: %d", res.StatusCode)
	}
	for _, bad := range webtest.Untranslated(string(b)) {
		t.Errorf("English or a code on the Vietnamese page: %s", bad)
	}
	// An empty form comes back with every mistake, each on its field.
	for action, fields := range map[string][]string{
		"/exchange/services":   {"service_provider", "service_code", "service_title", "base_url", "service_fields", "openapi"},
		"/exchange/subsystems": {"subsystem_member", "subsystem_code", "subsystem_name"},
		"/exchange/members":    {"member_id", "member_name", "unit_code"},
		"/exchange/rights":     {"right_subsystem", "right_service", "right_fields", "right_purposes"},
	} {
		res, _ := admin.PostForm(srv.URL+action, url.Values{"csrf": {csrf}})
		b, _ := io.ReadAll(res.Body)
		for _, f := range fields {
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `href="#f-`+f+`"`) {
				t.Errorf("an empty form at %s: %d, nothing on %s", action, res.StatusCode, f)
			}
		}
	}
	form.Set("service_code", "accounts")
	form.Set("base_url", "https://api.vcb.example/kyc")
	form.Set("service_fields", "account, open_date")
	form.Set("endpoints", "get /accounts/{id}\n\nPOST /accounts")
	form.Set("openapi", `{"openapi":"3.0.3","info":{"title":"Tài khoản","version":"1"},"paths":{}}`)
	if res, _ := admin.PostForm(srv.URL+"/exchange/services", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.StatusCode)
	}
	s, err := x.Service(ctx, svc)
	if err != nil || s.BaseURL != "https://api.vcb.example/kyc" || strings.Join(s.Fields, ",") != "account,open_date" ||
		len(s.Methods) != 2 || s.Methods[0] != (exchange.Endpoint{Method: "GET", Path: "/accounts/{id}"}) || !strings.Contains(string(s.OpenAPI), "Tài khoản") {
		t.Fatalf("the service published: %+v %v", s, err)
	}
	if err := x.Grant(ctx, exchange.Right{Subsystem: "VN/COM/VCB/EKYC", Service: svc, Fields: []string{"account"}, Purposes: []string{"KYC"}}); err != nil {
		t.Fatal(err)
	}
	if err := x.Grant(ctx, exchange.Right{Subsystem: "VN/COM/VCB/EKYC", Service: exchange.Platform + "/person", Fields: []string{"full_name"}, Purposes: []string{"KYC"}}); err != nil {
		t.Fatal(err)
	}
	removable := func(html, id string) bool { return strings.Contains(html, `aria-label="Gỡ dịch vụ: `+id+`"`) }
	vi := page(admin)
	// Each button names what it acts on; the platform's own member and
	// system are not offered to revoke.
	for _, label := range []string{"Thu hồi thành viên: VN/COM/VCB", "Thu hồi hệ thống: VN/COM/VCB/EKYC", "Cấp chứng chỉ: VN/COM/VCB/EKYC", "Rút quyền: VN/COM/VCB/EKYC — " + svc} {
		if !strings.Contains(vi, `aria-label="`+label+`"`) {
			t.Errorf("no button labelled %q", label)
		}
	}
	if strings.Contains(vi, `aria-label="Thu hồi thành viên: VN/GOV/BCA`) || strings.Contains(vi, `aria-label="Thu hồi hệ thống: VN/GOV/BCA`) || strings.Contains(vi, `aria-label="Cấp chứng chỉ: VN/GOV/BCA`) {
		t.Error("the platform's own member or system offered to revoke or certify")
	}
	if !removable(vi, svc) || removable(vi, exchange.Platform+"/person") || strings.Count(vi, `action="/exchange/rights/withdraw"`) != 2 {
		t.Errorf("the national administrator's buttons: remove %v, built-in %v, %d withdraw", removable(vi, svc), removable(vi, exchange.Platform+"/person"), strings.Count(vi, `action="/exchange/rights/withdraw"`))
	}
	hanoi, hanoiCSRF := signIn(t, srv, "admin.hanoi")
	if h := page(hanoi); removable(h, svc) || strings.Contains(h, `action="/exchange/rights/withdraw"`) || strings.Contains(h, "#grant\">") {
		t.Error("a province's administrator is offered to remove, withdraw or grant outside its reach")
	}
	if res, _ := hanoi.PostForm(srv.URL+"/exchange/services/remove", url.Values{"csrf": {hanoiCSRF}, "id": {svc}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a province's administrator removes a national member's service: %d", res.StatusCode)
	}
	if res, _ := admin.PostForm(srv.URL+"/exchange/services/remove", url.Values{"csrf": {csrf}, "id": {svc}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d", res.StatusCode)
	}
	if _, err := x.Service(ctx, svc); !problem.Is(err, problem.NotFound) {
		t.Errorf("the service after its removal: %v", err)
	}
	if rs, _ := x.Rights(ctx, "VN/COM/VCB/EKYC"); len(rs) != 1 || rs[0].Service != exchange.Platform+"/person" {
		t.Errorf("the rights after the removal: %+v", rs)
	}
}

// signIn signs user in to srv: a client with its session (redirects not
// followed) and its CSRF token.
func signIn(t *testing.T, srv *httptest.Server, user string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Post(srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("sign in %s: %v %v", user, res.StatusCode, err)
	}
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(res.Body).Decode(&s)
	res.Body.Close()
	return c, s.CSRF
}
