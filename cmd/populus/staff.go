package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/populus-vn/populus/internal/staff"
)

// refuseDemoAccounts stops serve while an account can still sign in with
// the published demo password, unless --allow-demo-accounts.
func refuseDemoAccounts(ctx context.Context, c config, p *platform) error {
	if c.AllowDemoAccounts {
		return nil
	}
	names, err := staff.WithDemoPassword(ctx, p.Staff)
	if err != nil {
		return fmt.Errorf("check for demo accounts: %w", err)
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("refusing to start: the accounts %s still have the published demo password; "+
		"change their passwords (populus staff password USERNAME) or disable them (populus staff disable USERNAME), "+
		"or pass --allow-demo-accounts ($POPULUS_ALLOW_DEMO_ACCOUNTS) for a demonstration",
		strings.Join(names, ", "))
}

// stdin is where `staff password` reads the new password; tests replace it.
var stdin io.Reader = os.Stdin

// cliActor is the audit actor of account changes made with the CLI.
const cliActor = "system:cli"

func runStaff(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := func() error {
		fmt.Fprintln(stderr, "Usage: populus staff unlock|password|disable [--data DIR | --db URL] USERNAME")
		fmt.Fprintln(stderr, "  unlock    clear the account's sign-in throttle (audited as staff.unlock)")
		fmt.Fprintln(stderr, "  password  set the account's password, read from the first line of standard input; ends its sessions")
		fmt.Fprintln(stderr, "  disable   stop the account from signing in; ends its sessions")
		return errUsage
	}
	if len(args) == 0 {
		return usage()
	}
	sub := args[0]
	var c config
	f := newFlags("staff "+sub, env, stderr)
	f.store(&c)
	if err := f.fs.Parse(args[1:]); err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return usage()
	}
	username := f.fs.Arg(0)
	var password string
	switch sub {
	case "unlock", "disable":
	case "password":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	default:
		return usage()
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	switch sub {
	case "unlock":
		err = staff.NewService(p.Staff, p.Audit, staff.Options{}).Unlock(ctx, cliActor, "", username)
	case "password":
		err = p.Staff.SetPassword(ctx, username, password)
	case "disable":
		err = p.Staff.Disable(ctx, username)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s done\n", username, sub)
	return nil
}
