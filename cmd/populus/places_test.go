package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// populus places: import replaces the table and names the wrong line and
// column of a file; list shows the ranges.
func TestPlacesCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cli := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"places"}, args...), env(nil), &out, &errb)
		return out.String(), errb.String(), err
	}
	good := filepath.Join(dir, "good.csv")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(good, []byte("cidr,province,name,network\n203.0.113.0/24,79,,Mạng thử\n2001:db8::/32,,Đà Nẵng,FPT\n"), 0o600)
	os.WriteFile(bad, []byte("cidr,province,name,network\n203.0.113.0/24,79,,\n203.0.113.1/24,,x,\n"), 0o600)
	if out, _, err := cli("import", "--data", dir, good); err != nil || !strings.Contains(out, "imported 2 address ranges") {
		t.Fatalf("import: %q %v", out, err)
	}
	if _, _, err := cli("import", "--data", dir, bad); err == nil || !strings.Contains(err.Error(), "line 3, column 1 (cidr): host bits are set") {
		t.Errorf("a wrong file: %v", err)
	}
	out, _, err := cli("list", "--data", dir)
	if err != nil || !strings.HasPrefix(out, "RANGE") || !strings.Contains(out, "203.0.113.0/24") || !strings.Contains(out, "Mạng thử") || !strings.Contains(out, "2001:db8::/32") {
		t.Errorf("list after a wrong import: %q %v", out, err)
	}
	// "-" is standard input.
	stdin = strings.NewReader("cidr,province,name,network\n198.51.100.0/24,01,,Mạng đọc từ stdin\n")
	defer func() { stdin = nil }()
	if out, _, err := cli("import", "--data", dir, "-"); err != nil || !strings.Contains(out, "imported 1 address ranges") {
		t.Errorf("import from standard input: %q %v", out, err)
	}
	if _, errOut, err := cli(); !errors.Is(err, errUsage) || !strings.Contains(errOut, "Usage: populus places") {
		t.Errorf("no subcommand: %v %q", err, errOut)
	}
}
