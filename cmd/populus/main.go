// Command populus is the single binary of the Populus platform. It only
// parses flags and wires packages together; the work is done in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "populus:", err)
		}
		var failed *failedCheck
		if errors.As(err, &failed) {
			os.Exit(1) // what was checked does not verify
		}
		os.Exit(2)
	}
}

var errUsage = errors.New("usage")

// failedCheck is the error of a check that ran and failed (an audit log,
// an answer or a receipt that does not verify): the command exits 1, not
// 2 as for a wrong use or an error that stopped the check.
type failedCheck struct{ error }

func (f *failedCheck) Unwrap() error { return f.error }

// failed is err as a failed check.
func failed(err error) error { return &failedCheck{err} }

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server (API and web UI)", runServe},
		{"demo", "run the server on embedded storage with a demo population and demo accounts", runDemo},
		{"seed", "load a synthetic population into the register", runSeed},
		{"migrate", "apply the database migrations and exit", runMigrate},
		{"staff", "manage staff accounts: create, list, disable, enable, password, unlock, assign (populus staff --help)", runStaff},
		{"clients", "manage the OpenID provider's relying parties: clients add|update|list|disable", runClients},
		{"places", "manage the table of address ranges that places sign-ins: places import FILE|list", runPlaces},
		{"exchange", "manage the data exchange: members add, subsystems add, cert, grant, list, revoke (populus exchange --help)", runExchange},
		{"synth", "make synthetic sector files with ground truth (synth sector --kind drivers …)", runSynth},
		{"events", "manage change subscriptions of member systems: events list|subscribe|watch|unwatch|resume|unsubscribe", runEvents},
		{"reconcile", "reconcile a sector file against the register: decisions, corrections, summary", runReconcile},
		{"audit", "check the audit log against its Merkle tree and signed checkpoints: audit verify", runAudit},
		{"receipt", "verify a signed consent receipt against the consent keys (GET /api/v1/consent/keys)", runReceipt},
		{"evidence", "verify a data-exchange answer against its evidence and the audit log's key (GET /api/v1/audit/checkpoint), or the exchange CA's certificate for a member's service", runEvidence},
		{"version", "print the version (also populus --version)", runVersion},
	}
}

func runVersion(_ context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("version", env, stdout)
	f.summary = "Prints the version of this populus binary."
	if err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "populus", version)
	return nil
}

// run is the real main: everything it needs comes in as arguments, so tests
// can run the whole program.
//
// --help, on the program or any command, is no error: it returns nil, and
// the program exits 0.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	switch args[0] {
	case "help":
		if len(args) > 1 { // populus help serve: populus serve --help
			return run(ctx, append(args[1:], "--help"), env, stdout, stderr)
		}
		usage(stdout)
		return nil
	case "-h", "-help", "--help":
		usage(stdout)
		return nil
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	var names []string
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], env, stdout, stderr)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		names = append(names, c.name)
	}
	if strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("unknown flag %s; flags come after the command (populus serve --data DIR). Run 'populus --help'.", args[0])
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := nearest(args[0], names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Errorf("%s Run 'populus --help'.", sentence(msg))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Populus: the national population register and digital-government platform.")
	fmt.Fprintln(w, "\nUsage: populus <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'populus <command> --help' for the flags of a command; each flag can also be set")
	fmt.Fprintln(w, "with the environment variable shown beside it.")
}
