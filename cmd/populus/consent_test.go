package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
)

// populus receipt verifies a receipt the platform signed against its
// published keys, and refuses one altered or signed by another key.
func TestReceiptCommand(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t, consent.Schema)
	log := audit.New(d)
	t.Cleanup(log.Close)
	master, _ := oidc.NewMasterKey()
	s := consent.New(d, log, auth.NewGuard(auth.NewPolicy(units.Default()), log), master)
	lan := auth.Principal{Kind: auth.KindCitizen, ID: 1, Username: "001190000001", Role: auth.Citizen, Unit: "VN"}
	r, err := s.Give(ctx, lan, consent.Grant{Client: "VN/COM/VCB/EKYC", Purpose: "KYC", PurposeText: "Định danh khách hàng",
		Fields: []string{"full_name"}, ValidUntil: time.Now().AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := s.Receipts(ctx, lan, r.ID)
	if err != nil || len(vs) != 1 {
		t.Fatal(vs, err)
	}
	keys, _ := s.Keys(ctx)
	dir := t.TempDir()
	kb, _ := json.Marshal(keys)
	keysFile, receipt, forged := filepath.Join(dir, "keys.json"), filepath.Join(dir, "r.jws"), filepath.Join(dir, "f.jws")
	os.WriteFile(keysFile, kb, 0o600)
	os.WriteFile(receipt, []byte(vs[0].Receipt+"\n"), 0o600)
	sig := vs[0].Receipt[strings.LastIndex(vs[0].Receipt, ".")+1:]
	flipped := "A"
	if sig[0] == 'A' {
		flipped = "B"
	}
	os.WriteFile(forged, []byte(strings.TrimSuffix(vs[0].Receipt, sig)+flipped+sig[1:]), 0o600)
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"receipt", "--keys", keysFile, receipt}, func(string) string { return "" }, &out, &errb); err != nil ||
		!strings.Contains(out.String(), "The receipt verifies: consent "+r.ID+", version 1, active") || !strings.Contains(out.String(), `"piiPrincipalId": "0011******01"`) {
		t.Errorf("a true receipt: %v\n%s%s", err, out.String(), errb.String())
	}
	if err := run(ctx, []string{"receipt", "--keys", keysFile, forged}, func(string) string { return "" }, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "the receipt was altered") || strings.Contains(err.Error(), "go-jose") {
		t.Errorf("a forged receipt: %v", err)
	}
	if err := run(ctx, []string{"receipt", "--keys", filepath.Join(dir, "none.json"), receipt}, func(string) string { return "" }, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "save the consent keys first") {
		t.Errorf("no keys file: %v", err)
	}
	// The answer of GET …/receipts as saved: every version verified.
	r2, _ := s.Revoke(ctx, lan, r.ID)
	vs, _ = s.Receipts(ctx, lan, r.ID)
	page, _ := json.Marshal(map[string]any{"items": vs})
	pageFile, junk := filepath.Join(dir, "receipts.json"), filepath.Join(dir, "junk.txt")
	os.WriteFile(pageFile, page, 0o600)
	os.WriteFile(junk, []byte("hello world"), 0o600)
	out.Reset()
	if err := run(ctx, []string{"receipt", "--keys", keysFile, pageFile}, func(string) string { return "" }, &out, &errb); err != nil ||
		strings.Count(out.String(), "The receipt verifies") != 2 || !strings.Contains(out.String(), fmt.Sprintf("version %d, revoked", r2.Version)) {
		t.Errorf("the receipts' answer: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"receipt", "--keys", keysFile, junk}, func(string) string { return "" }, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "holds neither a receipt") || strings.Contains(err.Error(), "go-jose") {
		t.Errorf("a file of no receipt: %v", err)
	}
}

// consentPlatform opens a store as serve does, with the consents wired,
// holding Lan (with a chip card) who gave the bank a KYC consent.
func consentPlatform(t *testing.T) (*platform, people.Person, auth.Principal) {
	t.Helper()
	master, _ := oidc.NewMasterKey()
	t.Setenv("POPULUS_MASTER_KEY", master.String())
	ctx := context.Background()
	c, err := eventsConfigFor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.Outbox = true
	p, err := open(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	p.Master = &master
	p.consentAndUsage(nil, nil, nil)
	prefix, _ := pin.Prefix("001", civil.Female, 1990)
	lan := people.Person{PIN: string(pin.New(prefix, 1)), FullName: "Nguyễn Thị Lan", Sex: civil.Female, BirthDate: civil.Date{Year: 1990, Month: 5, Day: 17},
		BirthPlace: "00004", Hometown: "00004", Ethnicity: "01", Nationality: "VN", Status: people.Alive,
		Permanent: people.Address{Unit: "00004", Detail: "1 Phố Huế"}}
	lan.Card = people.IDCard{Number: lan.PIN, Issued: civil.Date{Year: 2021, Month: 4, Day: 1}, Expires: civil.Date{Year: 2040, Month: 5, Day: 17}}
	im := register.NewImporter(p.DB)
	if err := im.Add(ctx, nil, []people.Person{lan}); err != nil {
		t.Fatal(err)
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	holder := auth.Principal{Kind: auth.KindCitizen, ID: 1, Username: lan.PIN, Role: auth.Citizen, Unit: "VN"}
	if _, err := p.Consent.Give(ctx, holder, consent.Grant{Client: "VN/COM/VCB/EKYC", Purpose: "KYC", PurposeText: "Định danh khách hàng",
		Fields: []string{"full_name"}, ValidUntil: time.Now().AddDate(0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Consent.Authorize(ctx, lan.PIN, "VN/COM/VCB/EKYC", "KYC", []string{"full_name"}); err != nil {
		t.Fatalf("the consent given: %v", err)
	}
	return p, lan, holder
}

// As serve wires it, a death registered ends the person's consents in its
// transaction: the bank's next check is refused at once.
func TestDeathEndsConsentsAsServed(t *testing.T) {
	ctx := context.Background()
	p, lan, _ := consentPlatform(t)
	if _, err := p.Register.RegisterDeath(ctx, killRegistrar, people.DeathRegistration{PIN: lan.PIN, DeathDate: civil.DateOf(time.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Consent.Authorize(ctx, lan.PIN, "VN/COM/VCB/EKYC", "KYC", []string{"full_name"}); err == nil || !strings.Contains(err.Error(), "no longer in force") {
		t.Errorf("after the death: %v", err)
	}
}

// As serve wires it, a recovery at the counter ends the consents given
// under the account (whoever gave them): the bank's next check is refused
// as after a withdrawal, and the records say what ended them.
func TestRecoveryEndsConsentsAsServed(t *testing.T) {
	ctx := context.Background()
	p, lan, holder := consentPlatform(t)
	if err := p.Identity.SeedDemo(ctx, lan.PIN, "0912345678", 2); err != nil {
		t.Fatal(err)
	}
	police := auth.Staff(7, "police", "Công an", auth.PoliceOfficer, "00004")
	if _, err := p.Identity.Recover(ctx, police, identity.RecoveryRequest{PIN: lan.PIN, CardNumber: lan.PIN, CardIssued: lan.Card.Issued, Phone: "0912 000 111"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Consent.Authorize(ctx, lan.PIN, "VN/COM/VCB/EKYC", "KYC", []string{"full_name"}); err == nil || !strings.Contains(err.Error(), "no longer in force") {
		t.Errorf("after the recovery: %v", err)
	}
	rs, _ := p.Consent.Records(ctx, holder)
	if len(rs) != 1 || rs[0].Status != consent.StatusEnded || rs[0].EndedBy != consent.EndedByRecovery {
		t.Errorf("the record after the recovery: %+v", rs)
	}
}
