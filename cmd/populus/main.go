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
		os.Exit(2)
	}
}

var errUsage = errors.New("usage")

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
		{"staff", "manage staff accounts: staff unlock|password|disable USERNAME", runStaff},
		{"clients", "manage the OpenID provider's relying parties: clients add|list|disable", runClients},
		{"synth", "make synthetic sector files with ground truth (synth sector --kind drivers …)", runSynth},
		{"reconcile", "reconcile a sector file against the register: decisions, corrections, summary", runReconcile},
		{"version", "print the version", func(_ context.Context, _ []string, _ func(string) string, stdout, _ io.Writer) error {
			fmt.Fprintln(stdout, "populus", version)
			return nil
		}},
	}
}

// run is the real main: everything it needs comes in as arguments, so tests
// can run the whole program.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env, stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
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
