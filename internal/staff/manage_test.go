package staff_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

const pw = "một mật khẩu đủ dài"

// Accounts are managed from the console (unchecked, audited as the
// console) and by administrators within their reach (checked against
// staff.manage on the account's unit, before and after a change); every
// change is audited with its operator; an administrator cannot lock
// themselves out.
func TestAccountManagement(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{audit.Schema, staff.Schema}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		log := audit.New(d)
		t.Cleanup(log.Close)
		u := units.Default()
		g := auth.NewGuard(auth.NewPolicy(u), log)
		st := staff.NewStore(d, staff.TestParams)
		svc := staff.NewService(st, log, staff.Options{Guard: g, KnownUnit: func(c string) bool { _, ok := u.Lookup(c); return ok }})

		// The console creates the administrator of Hà Nội.
		hanoi, err := svc.CreateAccount(ctx, staff.Console, staff.NewAccount{Username: "Admin.HaNoi", DisplayName: "Quản trị Hà Nội", Password: pw, Role: auth.Admin, Unit: "01"})
		if err != nil {
			t.Fatal(err)
		}
		op := staff.Admin(hanoi.Principal(), "192.0.2.7")

		cases := []struct {
			name string
			n    staff.NewAccount
			kind problem.Kind // "" for success
		}{
			{"a registrar of a commune of the province", staff.NewAccount{Username: "reg.badinh", DisplayName: "Lê Hộ Tịch", Password: pw, Role: auth.Registrar, Unit: "00004"}, ""},
			{"an officer of the province itself", staff.NewAccount{Username: "police.hanoi", DisplayName: "Công An", Password: pw, Role: auth.PoliceOfficer, Unit: "01"}, ""},
			{"a registrar of Hồ Chí Minh City", staff.NewAccount{Username: "reg.hcm", DisplayName: "Hộ Tịch", Password: pw, Role: auth.Registrar, Unit: "79"}, problem.Forbidden},
			{"a nation-wide auditor", staff.NewAccount{Username: "auditor2", DisplayName: "Thanh Tra", Password: pw, Role: auth.Auditor, Unit: "VN"}, problem.Forbidden},
			{"a unit that does not exist", staff.NewAccount{Username: "reg.nowhere", DisplayName: "Hộ Tịch", Password: pw, Role: auth.Registrar, Unit: "99999"}, problem.Invalid},
			{"a short password", staff.NewAccount{Username: "reg.short", DisplayName: "Hộ Tịch", Password: "ngắn", Role: auth.Registrar, Unit: "00004"}, problem.Invalid},
			{"a taken username", staff.NewAccount{Username: "REG.BADINH", DisplayName: "Hộ Tịch", Password: pw, Role: auth.Registrar, Unit: "00004"}, problem.Conflict},
		}
		for _, c := range cases {
			_, err := svc.CreateAccount(ctx, op, c.n)
			if c.kind == "" && err != nil || c.kind != "" && !problem.Is(err, c.kind) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.kind)
			}
		}
		if _, err := svc.CreateAccount(ctx, op, cases[4].n); !hasField(err, "unit_code") {
			t.Errorf("an unknown unit is not named as the wrong field: %v", err)
		}

		list, err := svc.Accounts(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range list {
			names = append(names, a.Username)
		}
		if len(names) != 3 || names[0] != "admin.hanoi" || names[1] != "police.hanoi" || names[2] != "reg.badinh" {
			t.Errorf("the administrator of Hà Nội sees %v", names)
		}
		// The same, a page at a time, filtered in the query.
		var paged []string
		after := ""
		for i := 0; i < 10; i++ {
			page, next, err := svc.AccountsPage(ctx, op, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page {
				paged = append(paged, a.Username)
			}
			if next == "" {
				break
			}
			after = next
		}
		if strings.Join(paged, " ") != strings.Join(names, " ") {
			t.Errorf("paged by 2: %v, want %v", paged, names)
		}
		if _, err := svc.CreateAccount(ctx, staff.Console, staff.NewAccount{Username: "admin", DisplayName: "Quản trị", Password: pw, Role: auth.Admin, Unit: "VN"}); err != nil {
			t.Fatal(err)
		}
		// Beyond the reach: answered as an unknown account would be, in
		// the same words (the username's existence is not told).
		_, beyond := svc.Account(ctx, op, "admin")
		_, unknown := svc.Account(ctx, op, "nobody.zz")
		if !problem.Is(beyond, problem.NotFound) || strings.ReplaceAll(beyond.Error(), "admin", "X") != strings.ReplaceAll(unknown.Error(), "nobody.zz", "X") {
			t.Errorf("the nation's administrator beyond Hà Nội's reach: %v (an unknown account: %v)", beyond, unknown)
		}
		if page, _, err := svc.AccountsPage(ctx, op, "", 10); err != nil || len(page) != 3 {
			t.Errorf("Hà Nội's page with the nation's administrator created: %d accounts, %v", len(page), err)
		}
		if page, _, err := svc.AccountsPage(ctx, staff.Console, "", 10); err != nil || len(page) != 4 {
			t.Errorf("the console's page: %d accounts, %v", len(page), err)
		}

		// Disable and enable: sign-in follows.
		if err := svc.SetDisabled(ctx, op, "admin.hanoi", true); !problem.Is(err, problem.Conflict) {
			t.Errorf("disabling oneself: %v, want a conflict", err)
		}
		if err := svc.SetDisabled(ctx, op, "reg.badinh", true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Login(ctx, staff.Attempt{Username: "reg.badinh", Password: pw, Remote: "192.0.2.9"}); !errors.Is(err, staff.ErrDisabled) {
			t.Errorf("a disabled account signs in: %v", err)
		}
		if err := svc.SetDisabled(ctx, op, "reg.badinh", false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Login(ctx, staff.Attempt{Username: "reg.badinh", Password: pw, Remote: "192.0.2.9"}); err != nil {
			t.Errorf("an enabled account cannot sign in: %v", err)
		}

		// A reset password is temporary; the holder changes it.
		if err := svc.ResetPassword(ctx, op, "reg.badinh", "mật khẩu tạm thời 1", true); err != nil {
			t.Fatal(err)
		}
		a, _ := st.ByUsername(ctx, "reg.badinh")
		if !a.MustChangePassword {
			t.Error("a reset password is not marked for change")
		}
		p := a.Principal()
		if err := svc.ChangePassword(ctx, p, "", "sai mật khẩu rồi", "mật khẩu của riêng tôi"); !hasField(err, "current_password") {
			t.Errorf("a wrong current password: %v", err)
		}
		if err := svc.ChangePassword(ctx, p, "", "mật khẩu tạm thời 1", "mật khẩu tạm thời 1"); !hasField(err, "new_password") {
			t.Errorf("the same password again: %v", err)
		}
		if err := svc.ChangePassword(ctx, p, "", "mật khẩu tạm thời 1", "mật khẩu của riêng tôi"); err != nil {
			t.Fatal(err)
		}
		if a, _ := st.ByUsername(ctx, "reg.badinh"); a.MustChangePassword {
			t.Error("the holder's own password is still marked for change")
		}
		// Guesses at the current password are throttled as sign-ins are.
		var rl *staff.RateLimitError
		for i := 0; i < 50 && rl == nil; i++ {
			err := svc.ChangePassword(ctx, p, "198.51.100.4", "một lần đoán sai nữa", "mật khẩu của kẻ gian")
			if !errors.As(err, &rl) && !hasField(err, "current_password") {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		if rl == nil {
			t.Error("50 wrong current passwords were never throttled")
		}
		if failed, _, _ := log.List(ctx, "staff:reg.badinh", 0, 100); !hasOutcome(failed, string(staff.ActionChangePassword), audit.Failed) || !hasOutcome(failed, string(staff.ActionChangePassword), audit.Denied) {
			t.Error("the wrong and the throttled password changes are not audited")
		}

		// Assign: within reach, not out of it, not oneself.
		if err := svc.Assign(ctx, op, "reg.badinh", auth.Registrar, "79"); !problem.Is(err, problem.Forbidden) {
			t.Errorf("moving an account out of reach: %v", err)
		}
		if err := svc.Assign(ctx, op, "admin.hanoi", auth.Admin, "00004"); !problem.Is(err, problem.Conflict) {
			t.Errorf("assigning oneself: %v", err)
		}
		if err := svc.Assign(ctx, op, "reg.badinh", auth.ServiceOfficer, "00004"); err != nil {
			t.Fatal(err)
		}
		if a, _ := st.ByUsername(ctx, "reg.badinh"); a.Role != auth.ServiceOfficer {
			t.Errorf("assigned: %+v", a)
		}

		// The audit trail of reg.badinh, oldest first.
		entries, _, err := log.List(ctx, "staff:reg.badinh", 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := len(entries) - 1; i >= 0; i-- {
			e := entries[i]
			if e.Outcome == audit.OK && e.Action != string(staff.ActionSignIn) {
				got = append(got, e.Actor+" "+e.Action+" "+e.Detail)
			}
		}
		want := []string{
			"staff:admin.hanoi staff.create registrar@00004",
			"staff:admin.hanoi staff.disable ",
			"staff:admin.hanoi staff.enable ",
			"staff:admin.hanoi staff.password.reset temporary",
			"staff:reg.badinh staff.password.change ",
			"staff:admin.hanoi staff.assign service_officer@00004",
		}
		if len(got) != len(want) {
			t.Fatalf("audit trail:\n%q\nwant\n%q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("audit entry %d: %q, want %q", i, got[i], want[i])
			}
		}
		if e, _, _ := log.List(ctx, "staff:admin.hanoi", 0, 5); len(e) == 0 || e[len(e)-1].Actor != staff.ConsoleActor {
			t.Errorf("the console's creation is not audited as the console: %+v", e)
		}
		if denied, _, _ := log.List(ctx, "staff:reg.hcm", 0, 5); len(denied) != 1 || denied[0].Outcome != audit.Denied {
			t.Errorf("the refused creation is not audited: %+v", denied)
		}
	})
}

func hasField(err error, field string) bool {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return false
	}
	for _, f := range pe.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func hasOutcome(entries []audit.Entry, action, outcome string) bool {
	for _, e := range entries {
		if e.Action == action && e.Outcome == outcome {
			return true
		}
	}
	return false
}
