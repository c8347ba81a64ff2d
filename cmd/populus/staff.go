package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
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

// stdin is standard input, where `staff password` and `staff create` read
// the password and `places import -` and `events watch ID -` their files;
// tests replace it.
var stdin io.Reader = os.Stdin

// staffCommands are the subcommands of populus staff.
var staffCommands = []struct{ name, args, summary string }{
	{"create", " USERNAME", "create an account; its password is asked for (typed twice, not shown), or read from the first line of standard input"},
	{"list", "", "list the accounts: username, name, role, unit, status"},
	{"disable", " USERNAME", "stop the account from signing in; ends its sessions"},
	{"enable", " USERNAME", "let a disabled account sign in again"},
	{"password", " USERNAME", "set the account's password, asked for or read from standard input as for create; ends its sessions"},
	{"unlock", " USERNAME", "clear the account's sign-in throttle"},
	{"assign", " USERNAME", "give the account a role and a unit (--role, --unit); ends its sessions"},
}

func staffUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: populus staff <subcommand> [flags] [USERNAME]")
	fmt.Fprintln(w, "\nManages the staff accounts in the store of --data or --db. Every change is audited,")
	fmt.Fprintf(w, "with the actor %s (the operator at the server's console).\n\nSubcommands:\n", cliActor)
	for _, c := range staffCommands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'populus staff <subcommand> --help' for its flags. The first administrator of a new installation:")
	fmt.Fprintln(w, "  populus staff create admin --name 'Quản trị hệ thống' --role admin --unit VN")
	fmt.Fprintln(w, "then type its password twice (at least 12 characters, not shown), or pipe it in from a secrets manager.")
}

// cliActor is the audit actor of account changes made with the CLI.
const cliActor = staff.ConsoleActor

func runStaff(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		staffUsage(stderr)
		return errUsage
	}
	sub := args[0]
	switch sub {
	case "-h", "-help", "--help", "help":
		staffUsage(stdout)
		return nil
	}
	var names []string
	found := false
	for _, c := range staffCommands {
		names = append(names, c.name)
		if c.name == sub {
			found = true
		}
	}
	if !found {
		return unknownSubcommand("staff", sub, names)
	}
	var (
		c                  config
		name, role, unit   string
		temporary, showAll bool
	)
	f := newFlags("staff "+sub, env, stdout)
	for _, x := range staffCommands {
		if x.name == sub {
			f.summary, f.argsUsage = strings.ToUpper(x.summary[:1])+x.summary[1:]+".", x.args
		}
	}
	f.store(&c)
	f.args = 1
	switch sub {
	case "create":
		c.MayCreate = true
		f.fs.StringVar(&name, "name", "", "the holder's full name, as shown on pages and in the audit log (required)")
		f.fs.StringVar(&role, "role", "", fmt.Sprintf("role: one of %s (required)", roleList()))
		f.fs.StringVar(&unit, "unit", "", "unit the account is attached to: a 5-digit commune code, a 2-digit province code or VN for the nation (required)")
		f.fs.BoolVar(&temporary, "change-password", false, "make the holder choose their own password at the first sign-in")
	case "password":
		f.fs.BoolVar(&temporary, "temporary", false, "make the holder choose their own password at the next sign-in")
	case "assign":
		f.fs.StringVar(&role, "role", "", fmt.Sprintf("new role: one of %s (default: keep it)", roleList()))
		f.fs.StringVar(&unit, "unit", "", "new unit: a 5-digit commune code, a 2-digit province code or VN (default: keep it)")
	case "list":
		f.args = 0
		f.fs.BoolVar(&showAll, "disabled", true, "list disabled accounts too")
	}
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	var username string
	if len(f.rest) > 0 {
		username = f.rest[0]
	}
	var password string
	if sub == "create" || sub == "password" {
		var err error
		if password, err = readPassword(stderr, username); err != nil {
			return err
		}
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	svc := p.staffService(staff.Options{})
	op := staff.Console
	switch sub {
	case "create":
		var a staff.Account
		a, err = svc.CreateAccount(ctx, op, staff.NewAccount{Username: username, DisplayName: name, Password: password,
			Role: auth.Role(role), Unit: unit, MustChangePassword: temporary})
		if err == nil {
			fmt.Fprintf(stdout, "Created %s (%s, %s, %s). Sign in at /login.\n", a.Username, a.DisplayName, a.Role, unitLabel(p, a.Unit))
			return nil
		}
	case "list":
		return listStaff(ctx, stdout, p, svc, showAll)
	case "unlock":
		err = svc.Unlock(ctx, cliActor, "", username)
	case "password":
		err = svc.ResetPassword(ctx, op, username, password, temporary)
	case "disable", "enable":
		err = svc.SetDisabled(ctx, op, username, sub == "disable")
	case "assign":
		var a staff.Account
		if a, err = p.Staff.ByUsername(ctx, username); err == nil {
			if role == "" {
				role = string(a.Role)
			}
			if unit == "" {
				unit = a.Unit
			}
			err = svc.Assign(ctx, op, username, auth.Role(role), unit)
		}
	}
	if err != nil {
		return cliError(err, staffFlags)
	}
	fmt.Fprintf(stdout, "%s: %s done\n", username, sub)
	return nil
}

// readPassword reads the new password of username: typed twice, not
// shown, at a terminal; else the first line of standard input (a pipe from
// a secrets manager, a script).
func readPassword(prompt io.Writer, username string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(prompt, "Password for %s (at least %d characters, not shown): ", username, staff.MinPasswordLen)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		fmt.Fprint(prompt, "The same password again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing was changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// staffFlags are the flags (or arguments) the fields of the staff
// capability's problems come from.
var staffFlags = map[string]string{"display_name": "--name", "role": "--role", "unit_code": "--unit", "password": "the password (standard input)", "username": "USERNAME"}

// cliError writes a problem's field errors as "flag: reason", naming the
// flags (flagOf) they come from rather than the API's fields; an error
// without fields is returned as it is.
func cliError(err error, flagOf map[string]string) error {
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return err
	}
	var parts []string
	for _, fe := range pe.Fields {
		n := flagOf[fe.Field]
		if n == "" {
			n = fe.Field
		}
		parts = append(parts, n+": "+fe.Reason)
	}
	return errors.New(strings.Join(parts, "; "))
}

func roleList() string {
	var rs []string
	for _, r := range auth.Roles {
		rs = append(rs, string(r))
	}
	return strings.Join(rs, ", ")
}

func unitLabel(p *platform, code string) string {
	if u, ok := p.Units.Lookup(code); ok {
		return code + " " + u.FullName()
	}
	return code
}

func listStaff(ctx context.Context, w io.Writer, p *platform, svc *staff.Service, all bool) error {
	accounts, err := svc.Accounts(ctx, staff.Console)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tUNIT\tSTATUS")
	for _, a := range accounts {
		if a.Disabled && !all {
			continue
		}
		status := "enabled"
		switch {
		case a.Disabled:
			status = "disabled"
		case a.MustChangePassword:
			status = "must change password"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Username, a.DisplayName, a.Role, unitLabel(p, a.Unit), status)
	}
	if len(accounts) == 0 {
		fmt.Fprintln(tw, "(no account: create the first administrator with 'populus staff create --help')")
	}
	return tw.Flush()
}
