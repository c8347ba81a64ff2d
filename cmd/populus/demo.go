package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/web"
)

// demoPeople is the size of the demo population: big enough to search, small
// enough to seed in seconds.
const demoPeople = 20000

func runDemo(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	var jc jobsConfig
	f := newFlags("demo", env, stdout)
	f.summary = "Runs the server on embedded storage with a demo population and demo accounts (created on the first start)."
	c.MayCreate = true
	f.server(&c, "text")
	f.jobs(&jc)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := c.checkServer(); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	defer useLogger(log)()
	c.Outbox = true // one-time codes are shown on the outbox page
	// An address taken is said at once, not after a first start's seeding.
	for _, a := range []struct{ flag, addr string }{{"--addr", c.Addr}, {"--exchange-addr", demoExchangeAddr(c)}, {"--metrics-addr", c.MetricsAddr}} {
		if a.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			return fmt.Errorf("%s %s cannot be used (%w): stop what uses it, or give another address", a.flag, a.addr, err)
		}
		ln.Close()
	}
	p, err := open(ctx, c, log)
	if err != nil {
		return err
	}
	defer p.Close()
	n, err := countPeople(ctx, p)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(stdout, "First start: seeding a demo population of %d people…\n", demoPeople)
		if err := seedPopulation(ctx, p, demoPeople, 1, stderr); err != nil {
			return err
		}
		// A past to show, and people where the demo accounts work.
		if err := writeStory(ctx, p, 1, demoCommunes(), stdout); err != nil {
			return err
		}
	}
	accounts, err := staff.SeedDemo(ctx, p.Staff)
	if err != nil {
		return err
	}
	citizens, err := seedCitizens(ctx, p)
	if err != nil {
		return err
	}
	p.DemoCitizens = citizens
	c.ExchangeAddr = demoExchangeAddr(c)
	return p.serve(ctx, c, jc, log, true, func(addr string) {
		printWelcome(ctx, stdout, p, addr, accounts, storeArgs(c))
		printCitizens(stdout, addr, citizens)
		// The data exchange's demo members, their rights and certificates.
		if p.Exchange != nil {
			dir, err := seedExchange(ctx, p.Exchange, c.Data)
			if err != nil {
				log.Error("demo members of the data exchange", "err", err)
				return
			}
			pin := ""
			if len(citizens) > 0 {
				pin = citizens[0].PIN
			}
			printExchange(stdout, p.ExchangeAddr, dir, pin)
		}
	})
}

// storeArgs are the flags that name c's store, for the commands the demo
// prints: without them they would read ./populus-data, not the demo's.
func storeArgs(c config) string {
	if c.DB != "" {
		u, err := url.Parse(c.DB)
		if err != nil {
			return "--db " + shellQuote("postgres://…")
		}
		return "--db " + shellQuote(u.Redacted())
	}
	return "--data " + shellQuote(c.Data)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// seedCitizens opens accounts for two adults of Phường Ba Đình with a chip
// card: the first at level 2 (the one the printed examples use: who used
// my data and the consents need level 2), the second at level 1.
func seedCitizens(ctx context.Context, p *platform) ([]web.DemoCitizen, error) {
	var out []web.DemoCitizen
	err := register.Scan(ctx, p.DB, register.ScanOptions{PermanentUnit: "00004"}, func(x *people.Person) error {
		if x.Status != people.Alive || x.Card.Number == "" || x.BirthDate.Year > 2000 || x.Relation == people.Head {
			return nil
		}
		out = append(out, web.DemoCitizen{PIN: x.PIN, Name: x.FullName, Level: 2 - len(out)})
		if len(out) == 2 {
			return register.ErrStop
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, x := range out {
		// A phone each, so that their messages in the demo's outbox
		// are told apart.
		if err := p.Identity.SeedDemo(ctx, x.PIN, fmt.Sprintf("091200000%d", i+1), x.Level); err != nil {
			return nil, err
		}
	}
	// A few address ranges, so that the login history shows places.
	if err := p.Identity.Places().SeedDemo(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func printCitizens(w io.Writer, addr string, citizens []web.DemoCitizen) {
	url := strings.TrimSuffix(publicURL(config{Addr: addr}), "/")
	var b strings.Builder
	b.WriteString("\nElectronic identity (VNeID): demo citizens (password: " + staff.DemoPassword + "):\n")
	for _, x := range citizens {
		fmt.Fprintf(&b, "  %s  %-28s level %d\n", x.PIN, x.Name, x.Level)
	}
	fmt.Fprintf(&b, "  7. Sign in at the demo bank: %s/demo-bank/ (consent once; signed out there, the next sign-in does not ask again).\n", url)
	fmt.Fprintf(&b, "  8. Register a level-1 account: POST %s/api/v1/identity/registrations; the code is on %s/identity/outbox;\n"+
		"     police.badinh raises it to level 2 at %s/identity/level2.\n", url, url, url)
	fmt.Fprintf(&b, "  9. The citizen portal: %s/eid/me (record, sign-ins, consents to withdraw, who verified me);\n"+
		"     relying parties, signed in as admin: %s/relying-parties.\n", url, url)
	fmt.Fprintf(&b, " 10. Consents to the exchange's members: %s/eid/me/consents (signed receipts, revocable);\n"+
		"     who used my data: %s/eid/me/usage (GET /api/v1/usage/me); both for a level-2 account.\n", url, url)
	if o := passkeyOptions(url); len(o.Origins) == 1 {
		fmt.Fprintf(&b, " 11. Passkeys: open %s/eid/me, add one under \"sign-in methods and devices\", sign out, sign in with it;\n"+
			"     lock and unlock each method there (browsers accept passkeys at a named site, not at an IP address).\n", o.Origins[0])
	}
	fmt.Fprint(w, b.String())
}

func printWelcome(ctx context.Context, w io.Writer, p *platform, addr string, accounts []staff.DemoAccount, store string) {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port)
	var b strings.Builder
	fmt.Fprintf(&b, "\nPopulus demo is running: %s\n\n", url)
	fmt.Fprintf(&b, "Demo accounts (password for all: %s; demo data only):\n", staff.DemoPassword)
	for _, a := range accounts {
		fmt.Fprintf(&b, "  %-24s %-16s unit %s\n", a.Username, a.Role, a.Unit)
	}
	// The first living head of household of Phường Ba Đình, by PIN.
	var pin, name, hh string
	register.Scan(ctx, p.DB, register.ScanOptions{PermanentUnit: "00004"}, func(x *people.Person) error {
		if x.Status != people.Alive || x.Relation != people.Head {
			return nil
		}
		pin, name, hh = x.PIN, x.FullName, x.HouseholdID
		return register.ErrStop
	})
	b.WriteString("\nWhat to try:\n")
	b.WriteString("  1. Sign in as the registrar of Phường Ba Đình (first account above).\n")
	if pin != "" {
		fmt.Fprintf(&b, "  2. Search for %q, or open %s/register/persons/%s\n", name, url, pin)
		fmt.Fprintf(&b, "  3. Open the household %s/register/households/%s and register a birth in it.\n", url, hh)
	}
	fmt.Fprintf(&b, "  4. The API: %s/api/v1/openapi.json; health: %s/healthz (metrics: --metrics-addr)\n", url, url)
	fmt.Fprintf(&b, "  5. Clean a sector file against the register: in another terminal,\n"+
		"       go run ./cmd/populus synth sector %[1]s --kind drivers --n 3000 --out drivers.csv\n"+
		"       go run ./cmd/populus reconcile %[1]s --kind drivers --input drivers.csv --truth drivers.truth.csv --out result\n"+
		"     then open result/report.html; or, signed in as service.hanoi, upload it at %[2]s/reconcile/jobs\n"+
		"     and review the records it leaves for review (Xem xét beside the job)\n", store, url)
	fmt.Fprintf(&b, "  6. Sign in as auditor and open %s/audit: who read or changed whose record, when and from where.\n", url)
	b.WriteString("\nPress Ctrl+C to stop. The data stays in the data directory for the next start.\n")
	fmt.Fprint(w, b.String())
}

// demoCommunes are the communes of the demo accounts attached to one, where
// the demo's story moves households so that their searches find people.
func demoCommunes() []string {
	var out []string
	for _, a := range staff.DemoAccounts() {
		if len(a.Unit) == 5 && !slices.Contains(out, a.Unit) {
			out = append(out, a.Unit)
		}
	}
	return out
}
