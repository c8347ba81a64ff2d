package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReconcileChecksBeforeLoading: what is wrong with the input, the
// mapping or --out is said before the register is loaded, and nothing is
// left behind; a legacy encoding is read, and counted.
func TestReconcileChecksBeforeLoading(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"seed", "--people", "2000", "--data", data}, env(nil), &out, &errb); err != nil {
		t.Fatalf("seed: %v\n%s", err, errb.String())
	}
	file := filepath.Join(dir, "drivers.csv")
	if err := run(ctx, []string{"synth", "sector", "--data", data, "--n", "300", "--profile", "hard", "--out", file}, env(nil), &out, &errb); err != nil {
		t.Fatalf("synth: %v\n%s", err, errb.String())
	}
	reconcile := func(args ...string) (string, string, error) {
		var o, e bytes.Buffer
		err := run(ctx, append([]string{"reconcile", "--data", data, "--quiet"}, args...), env(nil), &o, &e)
		return o.String(), e.String(), err
	}

	// UTF-16: refused before the register is loaded.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	utf16 := filepath.Join(dir, "utf16.csv")
	os.WriteFile(utf16, append([]byte{0xFF, 0xFE}, b...), 0o644)
	stdout, _, err := reconcile("--kind", "drivers", "--input", utf16, "--out", filepath.Join(dir, "o1"))
	if err == nil || !strings.Contains(err.Error(), "UTF-16") || strings.Contains(stdout, "Loading the register") {
		t.Errorf("UTF-16 input: %v; stdout %q", err, stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "o1")); err == nil {
		t.Error("a refused run made its --out folder")
	}

	// --out under a folder that does not exist: refused, nothing made.
	missing := filepath.Join(dir, "no", "such", "out")
	if _, _, err := reconcile("--kind", "drivers", "--input", file, "--out", missing); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("--out under a missing folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
		t.Error("--out made its parent folders")
	}

	// Flags that are quick to check are checked before the input is read
	// (a national file takes minutes): the UTF-16 file is not reached.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--lang", "fr"}, `--lang: "fr" is not vi or en`},
		{[]string{"--margin", "-5"}, "--margin must be not negative"},
		{[]string{"--workers", "-3"}, "--workers must be not negative"},
		{[]string{"--model", utf16}, "--model"},
	} {
		_, _, err := reconcile(append([]string{"--kind", "drivers", "--input", utf16, "--out", filepath.Join(dir, "o1")}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "UTF-16") {
			t.Errorf("%v: %v, want %q before the input is read", c.args, err, c.want)
		}
	}

	// A mapping that gives no blocking key: a warning before the run.
	_, stderr, err := reconcile("--mapping", "full_name=HO_TEN", "--input", file, "--out", filepath.Join(dir, "o2"))
	if err != nil || !strings.Contains(stderr, "no record a blocking key") {
		t.Errorf("name-only mapping: %v; stderr %q", err, stderr)
	}

	// The hard file: read whole first, with its counts.
	_, stderr, err = reconcile("--kind", "drivers", "--input", file, "--out", filepath.Join(dir, "o3"))
	if err != nil || !strings.Contains(stderr, "300 records read") || !strings.Contains(stderr, "could not be read") {
		t.Errorf("hard file: %v; stderr %q", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "o3", "decisions.csv")); err != nil {
		t.Error(err)
	}
}
