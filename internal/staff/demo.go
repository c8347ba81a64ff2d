package staff

import (
	"context"
	"errors"
	"slices"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
)

// WithDemoPassword returns the demo accounts that can still sign in with
// DemoPassword: a register that holds real people must have none. Only
// SeedDemo can give an account that password (Create and SetPassword
// refuse it), so the demo usernames are the only ones to check: at most six
// password verifications, about a tenth of a second at start-up.
func WithDemoPassword(ctx context.Context, st *Store) ([]string, error) {
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(demoAccounts))
	for _, n := range demoAccounts {
		go func() {
			a, hash, err := st.withHash(ctx, n.Username)
			switch {
			case problem.Is(err, problem.NotFound):
				err = nil
			case err == nil && !a.Disabled && VerifyPassword(DemoPassword, hash):
				results <- result{name: a.Username}
				return
			}
			results <- result{err: err}
		}()
	}
	var names []string
	var errs []error
	for range demoAccounts {
		r := <-results
		if r.name != "" {
			names = append(names, r.name)
		}
		errs = append(errs, r.err)
	}
	slices.Sort(names)
	return names, errors.Join(errs...)
}

// DemoAccount is an account made by SeedDemo, with its password.
type DemoAccount struct {
	NewAccount
	Created bool // false when it existed already (its password is then whatever it was set to)
}

// DemoPassword is the password of every demo account. It is public, printed
// by `populus demo` and written in the README: demo data only, never for a
// register that holds real people.
const DemoPassword = "populus-demo-2025"

// demoAccounts are one account per role and scope. Commune 00004 is Phường
// Ba Đình and province 01 Hà Nội.
var demoAccounts = []NewAccount{
	{Username: "registrar.badinh", DisplayName: "Nguyễn Thị Hoa (demo)", Role: auth.Registrar, Unit: "00004"},
	{Username: "registrar.hanoi", DisplayName: "Trần Văn Minh (demo)", Role: auth.Registrar, Unit: "01"},
	{Username: "police.badinh", DisplayName: "Lê Quang Huy (demo)", Role: auth.PoliceOfficer, Unit: "00004"},
	{Username: "service.hanoi", DisplayName: "Phạm Thu Trang (demo)", Role: auth.ServiceOfficer, Unit: "01"},
	{Username: "auditor", DisplayName: "Hoàng Đức Anh (demo)", Role: auth.Auditor, Unit: "VN"},
	{Username: "admin", DisplayName: "Vũ Thanh Hà (demo)", Role: auth.Admin, Unit: "VN"},
}

// DemoAccounts returns the demo accounts with their password, for the
// sign-in page of a demo to show.
func DemoAccounts() []NewAccount {
	out := make([]NewAccount, len(demoAccounts))
	for i, n := range demoAccounts {
		n.Password = DemoPassword
		out[i] = n
	}
	return out
}

// SeedDemo creates the demo accounts that do not exist yet, all with
// DemoPassword, and returns every demo account. Running it again changes
// nothing.
func SeedDemo(ctx context.Context, st *Store) ([]DemoAccount, error) {
	var out []DemoAccount
	for _, n := range DemoAccounts() {
		_, err := st.create(ctx, n, true, nil)
		switch {
		case err == nil:
			out = append(out, DemoAccount{NewAccount: n, Created: true})
		case problem.Is(err, problem.Conflict):
			out = append(out, DemoAccount{NewAccount: n})
		default:
			return nil, err
		}
	}
	return out, nil
}
