package staff

import (
	"context"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
)

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
		_, err := st.Create(ctx, n)
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
