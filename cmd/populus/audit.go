package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
)

// runAudit is `populus audit verify`: it checks the whole audit log
// against its Merkle tree and checkpoints.
func runAudit(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: populus audit verify [flags]")
		fmt.Fprintln(w, "\nChecks the audit log of --data or --db against its Merkle tree (RFC 6962): every entry")
		fmt.Fprintln(w, "against its hash, none missing or added, every tile, the root, and every checkpoint's")
		fmt.Fprintln(w, "signature and consistency with the one before. Exits 1 naming the first entry, tile or")
		fmt.Fprintln(w, "checkpoint that does not match. Run 'populus audit verify --help' for the flags.")
	}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	case "verify":
	default:
		return unknownSubcommand("audit", args[0], []string{"verify"})
	}
	var c config
	var verifier string
	f := newFlags("audit verify", env, stdout)
	f.summary = "Checks every entry of the audit log, its Merkle tree and its signed checkpoints; exits 1 naming the first that does not match."
	f.store(&c)
	f.string(&verifier, "verifier", "POPULUS_AUDIT_VERIFIER", "", "the checkpoint key to check signatures with (populus-audit+…, printed by serve at start and served at /api/v1/audit/checkpoint); "+
		"keep it apart from the store: the key stored beside the log is used when empty, which does not catch a rewritten store")
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	if err := requireData(c); err != nil {
		return err
	}
	d, err := db.Open(ctx, c.DB, c.Data)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, schemas...); err != nil {
		return err
	}
	rep, err := audit.Verify(ctx, d, verifier)
	var bad *audit.Tampered
	if errors.As(err, &bad) {
		return failed(fmt.Errorf("the audit log does not verify: %w", err))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "the audit log verifies: %d entries in the tree, root %s\n", rep.Entries, base64.StdEncoding.EncodeToString(rep.Root))
	fmt.Fprintf(stdout, "%d checkpoints checked", rep.Checkpoints)
	switch {
	case rep.Verifier == "":
		fmt.Fprintln(stdout, ", none signed (the server ran without a master key)")
	case verifier == "":
		fmt.Fprintf(stdout, " with the key stored beside the log, %s (pass --verifier to check against a key kept elsewhere)\n", rep.Verifier)
	default:
		fmt.Fprintf(stdout, " with %s\n", rep.Verifier)
	}
	if rep.Unsigned > 0 && rep.Verifier != "" {
		fmt.Fprintf(stdout, "warning: %d of them are unsigned (made while the server ran without a master key): their roots match the entries, but they prove nothing against a rewrite of the whole store\n", rep.Unsigned)
	}
	if rep.Pending > 0 {
		fmt.Fprintf(stdout, "%d newer entries are not yet in the tree (the running server adds them within seconds)\n", rep.Pending)
	}
	return nil
}
