package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/units"
)

// runPlaces manages the operator's table of address ranges that places
// the sign-ins of the login history.
func runPlaces(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: populus places import|list [--data DIR | --db URL] …")
		fmt.Fprintln(w, "  import  replace the table with a CSV file (argument: FILE, or - for standard input);")
		fmt.Fprintln(w, "          its header: cidr,province,name,network")
		fmt.Fprintln(w, "  list    list the address ranges")
	}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	sub := args[0]
	subs := []string{"import", "list"}
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		usage(stdout)
		return nil
	case strings.HasPrefix(sub, "-"):
		return fmt.Errorf("places: unknown flag %s before the subcommand (import or list). Run 'populus places --help'.", sub)
	case !slices.Contains(subs, sub):
		return unknownSubcommand("places", sub, subs)
	}
	var c config
	f := newFlags("places "+sub, env, stdout)
	f.summary = map[string]string{
		"import": "Replaces the table of address ranges (place of each sign-in) with a CSV file: cidr,province,name,network; a wrong file changes nothing.",
		"list":   "Lists the address ranges and the place and network of each.",
	}[sub]
	f.store(&c)
	if sub == "import" {
		f.args, f.argsUsage = 1, " FILE"
	}
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	var in io.Reader
	if sub == "import" {
		if f.rest[0] == "-" {
			in = stdin
		} else {
			file, err := os.Open(f.rest[0])
			if err != nil {
				return err
			}
			defer file.Close()
			in = file
		}
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	places := identity.NewPlaces(p.DB, units.Default())
	switch sub {
	case "import":
		n, err := places.Import(ctx, in)
		if err != nil {
			return fmt.Errorf("%s: %w", f.rest[0], err)
		}
		fmt.Fprintf(stdout, "imported %d address ranges\n", n)
	case "list":
		list, err := places.List(ctx)
		if err != nil {
			return err
		}
		// Columns by their width in characters (names are Vietnamese).
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RANGE\tPROVINCE\tPLACE\tNETWORK")
		for _, x := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.CIDR, x.Province, x.Name, x.Network)
		}
		if len(list) == 0 {
			fmt.Fprintln(tw, "(no address range: populus places import FILE)")
		}
		return tw.Flush()
	}
	return nil
}
