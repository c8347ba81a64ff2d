package staff

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
)

// Audit actions of account management. Each change is recorded against the
// account ("staff:USERNAME") with the operator who made it.
const (
	ActionCreate         auth.Action = "staff.create"
	ActionDisable        auth.Action = "staff.disable"
	ActionEnable         auth.Action = "staff.enable"
	ActionResetPassword  auth.Action = "staff.password.reset"
	ActionChangePassword auth.Action = "staff.password.change"
	ActionAssign         auth.Action = "staff.assign"
)

// AuditActions are the actions this package records that are no grant of
// package auth (those are in auth.Actions): the audit log's pages name
// each in words, and their tests walk this list.
var AuditActions = []auth.Action{ActionSignIn, ActionSignOut, ActionUnlock, ActionCreate, ActionDisable,
	ActionEnable, ActionResetPassword, ActionChangePassword, ActionAssign}

// ConsoleActor is the audit actor of the changes made at the server's
// console (populus staff …): whoever may run the binary on the store.
const ConsoleActor = "system:cli"

// PasswordPath is the page where a signed-in officer changes their
// password; an account that must change it is sent there (RequireSignIn).
const PasswordPath = "/account/password"

// Operator is who changes an account: a signed-in administrator, whose
// every change is checked against auth.ManageStaff on the account's unit,
// or the console (Principal nil), which is not checked: it holds the store.
type Operator struct {
	Principal *auth.Principal
	Remote    string // the client's address, for the audit log
}

// Console is the operator at the server's console.
var Console = Operator{}

// Admin is the operator p, from remote.
func Admin(p auth.Principal, remote string) Operator { return Operator{Principal: &p, Remote: remote} }

func (o Operator) actor() string {
	if o.Principal == nil {
		return ConsoleActor
	}
	return o.Principal.ActorID()
}

// authorize refuses an administrator who may not manage accounts of unit
// (the account's, before and after a change); the refusal is audited by the
// guard.
func (s *Service) authorize(ctx context.Context, op Operator, unit, username string) error {
	if op.Principal == nil {
		return nil
	}
	if s.opts.Guard == nil {
		return problem.New(problem.Forbidden, "managing accounts is not enabled on this server")
	}
	return s.opts.Guard.Check(ctx, *op.Principal, auth.ManageStaff, unit, auth.ActorID(auth.KindStaff, username))
}

// txAuditor records an entry inside a transaction, to commit or roll back
// with the change it is about; *audit.Log is one.
type txAuditor interface {
	RecordTx(ctx context.Context, tx *sql.Tx, e audit.Entry) error
}

// change makes a change of the account username audited as a by op: fn
// makes it, running the hook it is given inside its transaction. With an
// auditor that records in a transaction (*audit.Log) the entry is that
// hook, so that a change is never made without its entry; with another,
// the entry is recorded after, and a failure to record it is an error
// that says the change was made.
func (s *Service) change(ctx context.Context, op Operator, a auth.Action, username, detail string, fn func(w within) error) error {
	e := audit.OfActor(op.actor(), a, auth.ActorID(auth.KindStaff, normalizeUsername(username))).With(detail)
	e.Remote = op.Remote
	if tx, ok := s.audit.(txAuditor); ok {
		return fn(func(t *sql.Tx) error { return tx.RecordTx(ctx, t, e) })
	}
	if err := fn(nil); err != nil {
		return err
	}
	if err := s.audit.Record(ctx, e); err != nil {
		return fmt.Errorf("the change of %s was made but its audit entry was lost: %w", username, err)
	}
	return nil
}

// checkUnit adds a field error when unit is well formed but names no unit
// in force (Options.KnownUnit).
func (s *Service) checkUnit(f *problem.Fields, unit string) {
	if s.opts.KnownUnit != nil && validUnit(unit) && unit != "VN" && !s.opts.KnownUnit(unit) {
		f.Add("unit_code", "%q is not the code of a unit in force", unit)
	}
}

// assignment is the audit detail of a role and unit: "registrar@00004".
func assignment(r auth.Role, unit string) string { return string(r) + "@" + unit }

// CreateAccount adds an account for op. Its errors: Invalid naming the
// fields, Conflict when the username is taken, Forbidden when op may not
// manage accounts of the unit.
func (s *Service) CreateAccount(ctx context.Context, op Operator, n NewAccount) (Account, error) {
	n.Username = normalizeUsername(n.Username)
	var f problem.Fields
	s.checkUnit(&f, n.Unit)
	if err := f.Err(); err != nil {
		// With the other fields' errors, so that a form shows them all.
		var all problem.Fields
		checkAccount(&all, n)
		checkPassword(&all, n.Password, n.Username)
		s.checkUnit(&all, n.Unit)
		return Account{}, all.Err()
	}
	if validUnit(n.Unit) {
		if err := s.authorize(ctx, op, n.Unit, n.Username); err != nil {
			return Account{}, err
		}
	}
	var a Account
	err := s.change(ctx, op, ActionCreate, n.Username, assignment(n.Role, n.Unit), func(w within) (err error) {
		a, err = s.store.create(ctx, n, false, w)
		return err
	})
	return a, err
}

// MayManage refuses (audited) an operator who may manage no account at
// all, before a form is shown.
func (s *Service) MayManage(ctx context.Context, op Operator) error {
	if op.Principal != nil && (s.opts.Guard == nil || !auth.CanFrom(*op.Principal, auth.ManageStaff)) {
		return s.authorize(ctx, op, "", "")
	}
	return nil
}

// Accounts returns the accounts op may manage, by username.
func (s *Service) Accounts(ctx context.Context, op Operator) ([]Account, error) {
	if err := s.MayManage(ctx, op); err != nil {
		return nil, err
	}
	all, err := s.store.List(ctx)
	if err != nil || op.Principal == nil {
		return all, err
	}
	out := all[:0]
	for _, a := range all {
		if s.opts.Guard != nil && s.opts.Guard.Policy.Allowed(*op.Principal, auth.ManageStaff, a.Unit) {
			out = append(out, a)
		}
	}
	return out, nil
}

// AccountsPage returns a page of at most limit accounts op may manage, by
// username after after, and the username to continue after ("" at the
// end). The units within op's reach are filtered in the query: a province's
// administrator pages through the accounts of the province and its
// communes, not the nation's.
func (s *Service) AccountsPage(ctx context.Context, op Operator, after string, limit int) ([]Account, string, error) {
	if err := s.MayManage(ctx, op); err != nil {
		return nil, "", err
	}
	var units []string // nil: every unit
	if op.Principal != nil {
		p := *op.Principal
		if reach := s.opts.Guard.Reach(p, auth.ManageStaff); !reach.All {
			units = append([]string{p.Unit}, reach.Communes...)
		}
	}
	page, err := s.store.Page(ctx, units, normalizeUsername(after), limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(page) > limit {
		page, next = page[:limit], page[limit-1].Username
	}
	return page, next, nil
}

// Account returns the account username if op may manage it.
func (s *Service) Account(ctx context.Context, op Operator, username string) (Account, error) {
	a, err := s.store.ByUsername(ctx, username)
	if err != nil {
		if op.Principal != nil && !auth.CanFrom(*op.Principal, auth.ManageStaff) {
			return Account{}, s.authorize(ctx, op, "", username)
		}
		return Account{}, err
	}
	if err := s.authorize(ctx, op, a.Unit, a.Username); err != nil {
		if problem.Is(err, problem.Forbidden) && op.Principal != nil && auth.CanFrom(*op.Principal, auth.ManageStaff) {
			// An account beyond the administrator's reach is answered as
			// one that does not exist (the refusal recorded by the guard):
			// a province's administrator does not learn the usernames of
			// another province (found by a security probe).
			return Account{}, problem.New(problem.NotFound, "no staff account %s", a.Username)
		}
		return Account{}, err
	}
	return a, nil
}

// Refusals of an administrator's change that would lock themselves out.
var (
	errDisableSelf = problem.New(problem.Conflict, "you may not disable your own account; ask another administrator")
	errAssignSelf  = problem.New(problem.Conflict, "you may not change the role or unit of your own account; ask another administrator")
)

// notSelf returns refusal when op is the holder of a.
func notSelf(op Operator, a Account, refusal error) error {
	if op.Principal != nil && op.Principal.Kind == auth.KindStaff && op.Principal.Username == a.Username {
		return refusal
	}
	return nil
}

// SetDisabled disables the account (it can no longer sign in, and its
// sessions end at once) or enables it again.
func (s *Service) SetDisabled(ctx context.Context, op Operator, username string, disabled bool) error {
	a, err := s.Account(ctx, op, username)
	if err != nil {
		return err
	}
	action := ActionEnable
	if disabled {
		if err := notSelf(op, a, errDisableSelf); err != nil {
			return err
		}
		action = ActionDisable
	}
	return s.change(ctx, op, action, a.Username, "", func(w within) error {
		return s.store.setDisabled(ctx, a.Username, disabled, w)
	})
}

// ResetPassword sets the account's password and ends its sessions;
// temporary makes the holder choose their own at the next sign-in.
func (s *Service) ResetPassword(ctx context.Context, op Operator, username, password string, temporary bool) error {
	a, err := s.Account(ctx, op, username)
	if err != nil {
		return err
	}
	detail := ""
	if temporary {
		detail = "temporary"
	}
	return s.change(ctx, op, ActionResetPassword, a.Username, detail, func(w within) error {
		return s.store.resetPassword(ctx, a.Username, password, temporary, w)
	})
}

// Assign gives the account a role and a unit (both within op's reach) and
// ends its sessions.
func (s *Service) Assign(ctx context.Context, op Operator, username string, role auth.Role, unit string) error {
	a, err := s.Account(ctx, op, username)
	if err != nil {
		return err
	}
	var f problem.Fields
	s.checkUnit(&f, unit)
	if err := f.Err(); err != nil {
		return err
	}
	if role != a.Role || unit != a.Unit {
		if err := notSelf(op, a, errAssignSelf); err != nil {
			return err
		}
	}
	if validUnit(unit) && unit != a.Unit {
		if err := s.authorize(ctx, op, unit, a.Username); err != nil {
			return err
		}
	}
	return s.change(ctx, op, ActionAssign, a.Username, assignment(role, unit), func(w within) error {
		return s.store.assign(ctx, a.Username, role, unit, w)
	})
}

// ChangePassword is the signed-in officer p changing their own password:
// current must be right, and guesses at it count against the sign-in
// throttle as sign-ins do (a *RateLimitError beyond it), so that a session
// left open cannot be used to find the password. Their other sessions end;
// the one of this request is ended too, and the caller signs them in again.
func (s *Service) ChangePassword(ctx context.Context, p auth.Principal, remote, current, next string) error {
	if p.Kind != auth.KindStaff {
		return problem.New(problem.Forbidden, "only a staff account has a password here")
	}
	var f problem.Fields
	if current == "" {
		f.Add("current_password", "is required")
	}
	checkPassword(&f, next, p.Username)
	if next != "" && next == current {
		f.Add("new_password", "must differ from the current password")
	}
	if err := f.Err(); err != nil {
		return renameField(err, "password", "new_password")
	}
	now := s.store.now()
	refused, err := s.store.reserve(ctx, p.Username, remote, now)
	if err != nil {
		return err
	}
	op := Operator{Principal: &p, Remote: remote}
	entry := audit.OfActor(op.actor(), ActionChangePassword, p.ActorID())
	entry.Remote = remote
	if refused != nil {
		if err := s.audit.Record(ctx, entry.Refused(refused.reason)); err != nil {
			slog.ErrorContext(ctx, "audit of a throttled password change was lost", "err", err)
		}
		return &RateLimitError{RetryAfter: refused.after}
	}
	if _, err := s.store.checkCredentials(ctx, p.Username, current); err != nil {
		if problem.Is(err, problem.Unauthorized) {
			if err := s.audit.Record(ctx, entry.Failing(ErrBadCredentials.Detail)); err != nil {
				slog.ErrorContext(ctx, "audit of a failed password change was lost", "err", err)
			}
			return problem.Field("current_password", "is not the password of this account")
		}
		return err
	}
	if err := s.store.signedIn(ctx, p.Username, remote, now); err != nil {
		slog.WarnContext(ctx, "sign-in throttle not cleared after a password change", "err", err)
	}
	err = s.change(ctx, op, ActionChangePassword, p.Username, "", func(w within) error {
		return s.store.resetPassword(ctx, p.Username, next, false, w)
	})
	return renameField(err, "password", "new_password")
}

// renameField renames the field of err's field errors from old to new.
func renameField(err error, old, new string) error {
	pe, ok := err.(*problem.Error)
	if !ok {
		return err
	}
	c := *pe
	c.Fields = append([]problem.FieldError(nil), pe.Fields...)
	for i := range c.Fields {
		if c.Fields[i].Field == old {
			c.Fields[i].Field = new
		}
	}
	return &c
}
