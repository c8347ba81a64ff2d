package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
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
		!strings.Contains(err.Error(), "does not verify") {
		t.Errorf("a forged receipt: %v", err)
	}
}
