package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/db"
)

// populus clients: add prints the secret once and names a wrong field;
// list shows the clients; disable withdraws one; no subcommand is a usage
// error.
func TestClientsCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cli := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"clients"}, args...), env(nil), &out, &errb)
		return out.String(), errb.String(), err
	}
	out, _, err := cli("add", "--data", dir, "--id", "bank", "--name", "Ngân hàng", "--redirect-uri", "https://bank.example.vn/cb", "--scopes", "openid profile", "--verify")
	if err != nil || !strings.Contains(out, "registered bank") || !strings.Contains(out, "client secret (shown once") {
		t.Fatalf("add: %q %v", out, err)
	}
	if _, _, err := cli("add", "--data", dir, "--id", "bank", "--name", "Again", "--redirect-uri", "https://bank.example.vn/cb"); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("add twice: %v", err)
	}
	if _, _, err := cli("add", "--data", dir, "--id", "x", "--name", "X", "--redirect-uri", "http://bank.example.vn/cb", "--scopes", "openid nope"); err == nil ||
		!strings.Contains(err.Error(), "--redirect-uri: ") || !strings.Contains(err.Error(), "--scopes: ") {
		t.Errorf("a wrong client: %v", err)
	}
	if _, _, err := cli("add", "--data", dir, "--id", "kyc", "--name", "KYC", "--redirect-uri", "https://kyc.example.vn/cb", "--userinfo-alg", "HS256", "--purposes", "mở tài khoản"); err == nil ||
		!strings.Contains(err.Error(), "--userinfo-alg: ") || !strings.Contains(err.Error(), "--purposes: ") {
		t.Errorf("wrong userinfo algorithm and purposes without --verify: %v", err)
	}
	if out, _, err := cli("add", "--data", dir, "--id", "kyc", "--name", "KYC", "--redirect-uri", "https://kyc.example.vn/cb", "--verify", "--userinfo-alg", "ES256",
		"--purposes", "mở tài khoản, vay tiêu dùng"); err != nil || !strings.Contains(out, "registered kyc") {
		t.Errorf("add with signed userinfo and purposes: %q %v", out, err)
	}
	jwks := filepath.Join(dir, "jwks.json")
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "enc-1", Use: "enc"}}})
	os.WriteFile(jwks, b, 0o600)
	if _, _, err := cli("add", "--data", dir, "--id", "enc", "--name", "Enc", "--redirect-uri", "https://enc.example.vn/cb", "--userinfo-enc-alg", "ECDH-ES+A256KW", "--jwks", jwks); err == nil ||
		!strings.Contains(err.Error(), "--userinfo-enc-alg: ") {
		t.Errorf("encryption without a suitable key: %v", err)
	}
	if out, _, err := cli("add", "--data", dir, "--id", "enc", "--name", "Enc", "--redirect-uri", "https://enc.example.vn/cb", "--userinfo-enc-alg", "RSA-OAEP-256",
		"--userinfo-enc", "A128CBC-HS256", "--id-token-enc-alg", "RSA-OAEP-256", "--jwks", jwks, "--par", "--sector", "enc.example.vn", "--essential", "openid"); err != nil || !strings.Contains(out, "registered enc") {
		t.Errorf("add with encryption: %q %v", out, err)
	}
	out, _, err = cli("list", "--data", dir)
	if err != nil || !strings.Contains(out, "bank") || !strings.Contains(out, "openid profile") {
		t.Errorf("list: %q %v", out, err)
	}
	for _, want := range []string{"userinfo-enc RSA-OAEP-256 A128CBC-HS256", "id-token-enc RSA-OAEP-256 A256GCM", "sector enc.example.vn", "essential openid", "userinfo-alg ES256", "purposes mở tài khoản, vay tiêu dùng", "jwks"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q: %s", want, out)
		}
	}
	// update changes the flags given, keeps the rest, refuses a wrong
	// value naming it (changing nothing) and an unknown client.
	if out, _, err := cli("update", "--data", dir, "--id", "kyc", "--name", "KYC mới", "--scopes", "openid profile birthdate", "--purposes", "vay tiêu dùng"); err != nil ||
		!strings.Contains(out, "updated kyc: version 2") || strings.Contains(out, "client secret") {
		t.Errorf("update: %q %v", out, err)
	}
	if _, _, err := cli("update", "--data", dir, "--id", "kyc", "--redirect-uri", "http://kyc.example.vn/cb"); err == nil || !strings.Contains(err.Error(), "--redirect-uri: ") {
		t.Errorf("update with a wrong redirect URI: %v", err)
	}
	if _, _, err := cli("update", "--data", dir, "--id", "nobody", "--name", "X"); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("update of an unknown client: %v", err)
	}
	if _, _, err := cli("update", "--data", dir, "--name", "X"); err == nil || !strings.Contains(err.Error(), "id") {
		t.Errorf("update without --id: %v", err)
	}
	out, _, _ = cli("list", "--data", dir)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "kyc ") && (!strings.Contains(line, "KYC mới") || !strings.Contains(line, "openid profile birthdate") || !strings.Contains(line, "https://kyc.example.vn/cb")) {
			t.Errorf("kyc after update: %q", line)
		}
	}
	if !strings.Contains(out, "purposes vay tiêu dùng") || !strings.Contains(out, "userinfo-alg ES256") || strings.Contains(out, "mở tài khoản") {
		t.Errorf("kyc's details after update: %s", out)
	}
	if out, _, err := cli("disable", "--data", dir, "bank"); err != nil || !strings.Contains(out, "bank: disabled") {
		t.Errorf("disable: %q %v", out, err)
	}
	if out, _, err := cli("list", "--data", dir); err != nil || strings.Contains(out, "bank") {
		t.Errorf("list after disable: %q %v", out, err)
	}
	// The console's registration and withdrawal are in the audit log.
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'system:cli' AND subject = 'client:bank'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d entries of the console about client:bank (%v), want 2 (registered, disabled)", n, err)
	}
	if _, errOut, err := cli(); !errors.Is(err, errUsage) || !strings.Contains(errOut, "Usage: populus clients") {
		t.Errorf("no subcommand: %v %q", err, errOut)
	}
}
