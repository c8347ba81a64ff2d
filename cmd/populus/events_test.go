package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// populus events: subscribe names each wrong flag; a subscription is made,
// its watch list uploaded from a file (a bad line named, nothing kept),
// listed with its delivery state, and deleted.
func TestEventsCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cli := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"events"}, args...), env(nil), &out, &errb)
		return out.String(), err
	}
	if _, err := cli("subscribe", "--data", dir, "--subscriber", "bank", "--types", "death,wedding", "--webhook", "ftp://x"); err == nil ||
		!strings.Contains(err.Error(), "--subscriber") || !strings.Contains(err.Error(), "--types") || !strings.Contains(err.Error(), "--webhook") ||
		!strings.Contains(err.Error(), "--purpose") {
		t.Fatalf("a wrong subscription: %v", err)
	}
	subscribe := func(types string, more ...string) (string, error) {
		return cli(append([]string{"subscribe", "--data", dir, "--subscriber", "VN/COM/VCB/EKYC", "--types", types, "--webhook", "https://bank.example.vn/hook",
			"--purpose", "KYC"}, more...)...)
	}
	// Checked against the subscriber's rights on the data exchange.
	if _, err := subscribe("death"); err == nil || !strings.Contains(err.Error(), "--subscriber") || !strings.Contains(err.Error(), "not a subsystem") {
		t.Fatalf("a subscriber unknown to the exchange: %v", err)
	}
	for _, s := range [][]string{
		{"exchange", "members", "add", "--data", dir, "--id", "VN/COM/VCB", "--name", "Ngân hàng Demo"},
		{"exchange", "subsystems", "add", "--data", dir, "--id", "VN/COM/VCB/EKYC", "--name", "eKYC"},
		{"exchange", "grant", "--data", dir, "--subsystem", "VN/COM/VCB/EKYC", "--service", "VN/GOV/BCA/C06-REGISTER/person", "--fields", "full_name,status", "--purposes", "KYC"},
	} {
		var out, errb bytes.Buffer
		if err := run(ctx, s, env(nil), &out, &errb); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
	}
	if _, err := subscribe("death,residence_move"); err == nil || !strings.Contains(err.Error(), "--types: residence_move") || !strings.Contains(err.Error(), "may not read permanent_residence") {
		t.Fatalf("a type the rights do not cover: %v", err)
	}
	if _, err := subscribe("death", "--legal-basis", "Nghị định 52/2024/NĐ-CP"); err == nil || !strings.Contains(err.Error(), "--legal-basis: is not a legal basis of KYC") {
		t.Fatalf("a legal basis not the purpose's: %v", err)
	}
	out, err := subscribe("death,name_change")
	if err != nil || !strings.Contains(out, "subscription 1: VN/COM/VCB/EKYC to death,name_change") {
		t.Fatalf("subscribe: %q %v", out, err)
	}
	file := filepath.Join(dir, "customers.txt")
	os.WriteFile(file, []byte("001090000001\n001090000002\n"), 0o600)
	if out, err := cli("watch", "--data", dir, "1", file); err != nil || !strings.Contains(out, "2 PINs read, 2 changed, 2 watched") {
		t.Fatalf("watch: %q %v", out, err)
	}
	os.WriteFile(file, []byte("001090000003\nnot a pin\n"), 0o600)
	if _, err := cli("watch", "--data", dir, "1", file); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a bad watch list: %v", err)
	}
	if out, err := cli("list", "--data", dir); err != nil || !strings.Contains(out, "watched=2") || !strings.Contains(out, "webhook active delivered=0") {
		t.Fatalf("list: %q %v", out, err)
	}
	if out, err := cli("unsubscribe", "--data", dir, "1"); err != nil || !strings.Contains(out, "subscription 1: deleted") {
		t.Fatalf("unsubscribe: %q %v", out, err)
	}
	if _, err := cli("unsubscribe", "--data", dir, "1"); err == nil {
		t.Fatal("deleted twice")
	}
	if _, err := cli("subscrbe"); err == nil || !strings.Contains(err.Error(), `did you mean "subscribe"`) {
		t.Fatalf("a misspelt subcommand: %v", err)
	}
}
