package staff

import (
	"context"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/problem"
)

const testPassword = "mật khẩu đủ dài 123"

func newAccount(username string, role auth.Role, unit string) NewAccount {
	return NewAccount{Username: username, DisplayName: "Nguyễn Văn A", Password: testPassword, Role: role, Unit: unit}
}

func TestStoreAccounts(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := NewStore(d, TestParams)
		a, err := st.Create(ctx, newAccount(" Registrar.BaDinh ", auth.Registrar, "00004"))
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || a.Username != "registrar.badinh" {
			t.Errorf("created %+v", a)
		}
		if _, err := st.Create(ctx, newAccount("registrar.badinh", auth.Auditor, "VN")); !problem.Is(err, problem.Conflict) {
			t.Errorf("duplicate username: err = %v, want conflict", err)
		}
		got, err := st.ByUsername(ctx, "REGISTRAR.BADINH")
		if err != nil || got.ID != a.ID || got.Role != auth.Registrar || got.Unit != "00004" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("ByUsername = %+v, %v; want %+v", got, err, a)
		}
		if _, err := st.ByUsername(ctx, "nobody"); !problem.Is(err, problem.NotFound) {
			t.Errorf("unknown user: err = %v", err)
		}
		st.Create(ctx, newAccount("auditor", auth.Auditor, "VN"))
		list, err := st.List(ctx)
		if err != nil || len(list) != 2 || list[0].Username != "auditor" {
			t.Errorf("List = %+v, %v", list, err)
		}

		if _, err := st.checkCredentials(ctx, "registrar.badinh", testPassword); err != nil {
			t.Errorf("right password refused: %v", err)
		}
		if err := st.SetPassword(ctx, "registrar.badinh", "short"); !problem.Is(err, problem.Invalid) {
			t.Errorf("short password: err = %v", err)
		}
		if err := st.SetPassword(ctx, "registrar.badinh", "another long password"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.checkCredentials(ctx, "registrar.badinh", testPassword); err != ErrBadCredentials {
			t.Errorf("old password after SetPassword: err = %v", err)
		}
		if err := st.Disable(ctx, "registrar.badinh"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.checkCredentials(ctx, "registrar.badinh", "another long password"); err != ErrDisabled {
			t.Errorf("disabled account: err = %v", err)
		}
		if err := st.Disable(ctx, "nobody"); !problem.Is(err, problem.NotFound) {
			t.Errorf("Disable(nobody) = %v", err)
		}
	})
}

func TestCreateValidates(t *testing.T) {
	st := NewStore(dbtest.SQLite(t, testSchemas...), TestParams)
	_, err := st.Create(context.Background(), NewAccount{Username: "a b", Password: "short", Role: "mayor", Unit: "123"})
	body := problem.BodyOf(err, "")
	fields := map[string]bool{}
	for _, f := range body.Errors {
		fields[f.Field] = true
	}
	for _, f := range []string{"username", "display_name", "password", "role", "unit_code"} {
		if !fields[f] {
			t.Errorf("no error for %s in %+v", f, body.Errors)
		}
	}
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := NewStore(d, TestParams)
		first, err := SeedDemo(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		second, err := SeedDemo(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != len(second) || len(first) < len(auth.Roles) {
			t.Fatalf("seeded %d then %d accounts", len(first), len(second))
		}
		roles := map[auth.Role]bool{}
		for i := range first {
			if !first[i].Created || second[i].Created {
				t.Errorf("%s: created %v then %v", first[i].Username, first[i].Created, second[i].Created)
			}
			roles[first[i].Role] = true
			if _, err := st.checkCredentials(ctx, first[i].Username, first[i].Password); err != nil {
				t.Errorf("%s cannot sign in with its printed password: %v", first[i].Username, err)
			}
		}
		if len(roles) != len(auth.Roles) {
			t.Errorf("demo accounts cover roles %v, want all of %v", roles, auth.Roles)
		}
	})
}

// Only the demo can give an account the published demo password, and
// WithDemoPassword names the accounts that still have it.
func TestDemoPasswordAccounts(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := NewStore(d, TestParams)
		if names, err := WithDemoPassword(ctx, st); err != nil || len(names) != 0 {
			t.Fatalf("empty store: %v, %v", names, err)
		}
		n := newAccount("someone", auth.Registrar, "00004")
		n.Password = DemoPassword
		if _, err := st.Create(ctx, n); !problem.Is(err, problem.Invalid) {
			t.Errorf("Create with the demo password: err = %v, want invalid", err)
		}
		if _, err := SeedDemo(ctx, st); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPassword(ctx, "admin", DemoPassword); !problem.Is(err, problem.Invalid) {
			t.Errorf("SetPassword to the demo password: err = %v, want invalid", err)
		}
		names, err := WithDemoPassword(ctx, st)
		if err != nil || len(names) != len(demoAccounts) {
			t.Fatalf("after SeedDemo: %v, %v; want all %d", names, err, len(demoAccounts))
		}
		if err := st.SetPassword(ctx, "admin", testPassword); err != nil {
			t.Fatal(err)
		}
		if err := st.Disable(ctx, "auditor"); err != nil {
			t.Fatal(err)
		}
		names, _ = WithDemoPassword(ctx, st)
		if want := "police.badinh registrar.badinh registrar.hanoi service.hanoi"; strings.Join(names, " ") != want {
			t.Errorf("after changing admin's password and disabling auditor: %v, want %s", names, want)
		}
	})
}
