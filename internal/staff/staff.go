// Package staff holds the accounts of the civil servants who use Populus
// (cán bộ: registrars, police officers, one-stop-shop officers, inspectors,
// administrators), signs them in, and keeps their sessions.
//
// It authenticates; it does not authorise. What an account may do is decided
// by package auth from the Principal this package puts into the request
// context. The Store has no notion of who is calling: code that lets a user
// manage accounts must check auth.ManageStaff first.
//
// It must never store a password or a session token in clear, nor log either.
package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// Account is a staff member's account.
type Account struct {
	ID          int64     `json:"id"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Role        auth.Role `json:"role"`
	// Unit is the administrative unit the account is attached to: a
	// 5-digit commune, a 2-digit province, or "VN" for the nation.
	Unit      string    `json:"unit_code"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// MustChangePassword: the password was set by someone else (an
	// administrator); the holder must choose their own before anything
	// else (RequireSignIn sends them to PasswordPath).
	MustChangePassword bool `json:"must_change_password"`
}

// Principal is the account as package auth sees it.
func (a Account) Principal() auth.Principal {
	return auth.Staff(a.ID, a.Username, a.DisplayName, a.Role, a.Unit)
}

// NewAccount is what Create needs.
type NewAccount struct {
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	Password    string    `json:"password"`
	Role        auth.Role `json:"role"`
	Unit        string    `json:"unit_code"`
	// MustChangePassword makes the holder choose their own password at
	// the first sign-in: for an initial password an administrator chose.
	MustChangePassword bool `json:"must_change_password,omitempty"`
}

// Password length limits. The minimum follows NIST SP 800-63B's advice to
// prefer length over composition rules; the maximum only bounds the work of
// hashing a hostile input.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// Store keeps accounts and sessions in the database.
type Store struct {
	db     *db.DB
	params Params
	dummy  string
	now    func() time.Time
	cache  sessionCache
}

// NewStore returns a store on d hashing new passwords with p (DefaultParams
// in production, TestParams in tests).
func NewStore(d *db.DB, p Params) *Store {
	return &Store{db: d, params: p, dummy: dummyHash(p), now: time.Now}
}

const accountColumns = "id, username, display_name, role, unit_code, disabled, created_at, must_change_password"

func scanAccount(sc interface{ Scan(...any) error }, extra ...any) (Account, error) {
	var (
		a                    Account
		role, created        string
		disabled, mustChange int
	)
	dest := append([]any{&a.ID, &a.Username, &a.DisplayName, &role, &a.Unit, &disabled, &created, &mustChange}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Account{}, err
	}
	a.Role, a.Disabled, a.MustChangePassword = auth.Role(role), disabled != 0, mustChange != 0
	t, err := db.ParseTime(created)
	if err != nil {
		return Account{}, fmt.Errorf("staff %d: created_at: %w", a.ID, err)
	}
	a.CreatedAt = t
	return a, nil
}

// normalizeUsername makes sign-in insensitive to case and surrounding
// space, which officers type on shared terminals.
func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validUsername(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validUnit checks the form of a unit code; whether the unit exists is for
// the caller, which holds the administrative-units dataset.
func validUnit(s string) bool {
	if s == "VN" {
		return true
	}
	if len(s) != 2 && len(s) != 5 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// checkPassword checks a new password of the account named username.
func checkPassword(f *problem.Fields, password, username string) {
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLen:
		f.Add("password", "must have at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		f.Add("password", "must have at most %d characters", MaxPasswordLen)
	case password == DemoPassword:
		f.Add("password", "is the published password of the demo accounts")
	default:
		switch PasswordWeakness(password, username) {
		case Blank:
			f.Add("password", "must not be spaces only")
		case Repeated:
			f.Add("password", "is a character or a short group repeated: choose a phrase of several words")
		case Sequence:
			f.Add("password", "is a run of consecutive characters or a keyboard row: choose a phrase of several words")
		case Personal:
			f.Add("password", "must not hold the user name")
		case Common:
			f.Add("password", "is among the passwords chosen most often: choose a phrase of several words")
		}
	}
}

// Create adds an account. Its errors are Invalid, naming the wrong fields,
// or Conflict when the username is taken.
func (s *Store) Create(ctx context.Context, n NewAccount) (Account, error) {
	return s.create(ctx, n, false, nil)
}

// within is what a change runs inside its own transaction besides (the
// change's audit entry, which commits or rolls back with it); nil for
// nothing.
type within func(tx *sql.Tx) error

func (w within) run(tx *sql.Tx) error {
	if w == nil {
		return nil
	}
	return w(tx)
}

// create is Create; demo allows DemoPassword, for SeedDemo only; w runs in
// the insert's transaction.
func (s *Store) create(ctx context.Context, n NewAccount, demo bool, w within) (Account, error) {
	n.Username = normalizeUsername(n.Username)
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	var f problem.Fields
	checkAccount(&f, n)
	if !demo || n.Password != DemoPassword {
		checkPassword(&f, n.Password, n.Username)
	}
	if err := f.Err(); err != nil {
		return Account{}, err
	}
	hash, err := HashPassword(n.Password, s.params)
	if err != nil {
		return Account{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	a := Account{Username: n.Username, DisplayName: n.DisplayName, Role: n.Role, Unit: n.Unit, CreatedAt: now, MustChangePassword: n.MustChangePassword}
	var insertErr error
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		insertErr = tx.QueryRowContext(ctx,
			`INSERT INTO staff (username, display_name, password_hash, role, unit_code, disabled, created_at, must_change_password)
			 VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id`,
			a.Username, a.DisplayName, hash, string(a.Role), a.Unit, db.FormatTime(now), boolInt(a.MustChangePassword)).Scan(&a.ID)
		if insertErr != nil {
			return insertErr
		}
		return w.run(tx)
	})
	if db.IsUniqueViolation(insertErr) {
		return Account{}, problem.New(problem.Conflict, "the username %s is taken", a.Username)
	}
	if err != nil {
		return Account{}, fmt.Errorf("create staff account: %w", err)
	}
	return a, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkAccount checks the fields of n but its password.
func checkAccount(f *problem.Fields, n NewAccount) {
	if !validUsername(n.Username) {
		f.Add("username", "must be 3 to 64 characters: lower-case letters, digits, '.', '_' or '-'")
	}
	if n.DisplayName == "" {
		f.Add("display_name", "must not be empty")
	}
	if !n.Role.Valid() {
		f.Add("role", "must be one of %v", auth.Roles)
	}
	if !validUnit(n.Unit) {
		f.Add("unit_code", "must be a 5-digit commune code, a 2-digit province code or VN")
	}
}

// ByUsername returns the account, NotFound if there is none.
func (s *Store) ByUsername(ctx context.Context, username string) (Account, error) {
	a, _, err := s.withHash(ctx, username)
	return a, err
}

func (s *Store) withHash(ctx context.Context, username string) (Account, string, error) {
	var hash string
	row := s.db.QueryRowContext(ctx, "SELECT "+accountColumns+", password_hash FROM staff WHERE username = $1", normalizeUsername(username))
	a, err := scanAccount(row, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, "", problem.New(problem.NotFound, "no staff account %s", normalizeUsername(username))
	}
	if err != nil {
		return Account{}, "", fmt.Errorf("read staff account: %w", err)
	}
	return a, hash, nil
}

// List returns every account, by username.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	return s.list(ctx, "SELECT "+accountColumns+" FROM staff ORDER BY username")
}

// Page returns at most limit accounts by username, after the username
// after, of the given units (every unit when units is nil).
func (s *Store) Page(ctx context.Context, units []string, after string, limit int) ([]Account, error) {
	if units != nil && len(units) == 0 {
		return nil, nil
	}
	args := []any{after, limit}
	where := ""
	if units != nil {
		ph := make([]string, len(units))
		for i, u := range units {
			ph[i] = fmt.Sprintf("$%d", i+3)
			args = append(args, u)
		}
		where = " AND unit_code IN (" + strings.Join(ph, ", ") + ")"
	}
	return s.list(ctx, "SELECT "+accountColumns+" FROM staff WHERE username > $1"+where+" ORDER BY username LIMIT $2", args...)
}

// maxByUsernames bounds the usernames of one ByUsernames query.
const maxByUsernames = 500

// ByUsernames returns the accounts of the usernames that have one, in one
// query (at most 500 names: a page's worth), by username.
func (s *Store) ByUsernames(ctx context.Context, usernames []string) ([]Account, error) {
	if len(usernames) == 0 {
		return nil, nil
	}
	if len(usernames) > maxByUsernames {
		return nil, fmt.Errorf("staff: %d usernames in one query, at most %d", len(usernames), maxByUsernames)
	}
	ph := make([]string, len(usernames))
	args := make([]any, len(usernames))
	for i, u := range usernames {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = normalizeUsername(u)
	}
	return s.list(ctx, "SELECT "+accountColumns+" FROM staff WHERE username IN ("+strings.Join(ph, ", ")+") ORDER BY username", args...)
}

func (s *Store) list(ctx context.Context, query string, args ...any) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Disable stops an account from signing in and ends its sessions at once.
func (s *Store) Disable(ctx context.Context, username string) error {
	return s.setDisabled(ctx, username, true, nil)
}

// Enable lets a disabled account sign in again.
func (s *Store) Enable(ctx context.Context, username string) error {
	return s.setDisabled(ctx, username, false, nil)
}

func (s *Store) setDisabled(ctx context.Context, username string, disabled bool, w within) error {
	return s.update(ctx, w, username, "UPDATE staff SET disabled = $2 WHERE id = $1", boolInt(disabled))
}

// SetPassword replaces an account's password and ends its sessions, so a
// password changed after a suspected leak locks the intruder out.
func (s *Store) SetPassword(ctx context.Context, username, password string) error {
	return s.ResetPassword(ctx, username, password, false)
}

// ResetPassword is SetPassword; temporary makes the holder change the
// password at the next sign-in (one an administrator chose), and false
// clears that demand (the holder chose it).
func (s *Store) ResetPassword(ctx context.Context, username, password string, temporary bool) error {
	return s.resetPassword(ctx, username, password, temporary, nil)
}

func (s *Store) resetPassword(ctx context.Context, username, password string, temporary bool, w within) error {
	var f problem.Fields
	checkPassword(&f, password, username)
	if err := f.Err(); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return err
	}
	return s.update(ctx, w, username, "UPDATE staff SET password_hash = $2, must_change_password = $3 WHERE id = $1", hash, boolInt(temporary))
}

// Assign gives an account a role and a unit, and ends its sessions, so
// that the new reach holds from its next request.
func (s *Store) Assign(ctx context.Context, username string, role auth.Role, unit string) error {
	return s.assign(ctx, username, role, unit, nil)
}

func (s *Store) assign(ctx context.Context, username string, role auth.Role, unit string, w within) error {
	var f problem.Fields
	if !role.Valid() {
		f.Add("role", "must be one of %v", auth.Roles)
	}
	if !validUnit(unit) {
		f.Add("unit_code", "must be a 5-digit commune code, a 2-digit province code or VN")
	}
	if err := f.Err(); err != nil {
		return err
	}
	return s.update(ctx, w, username, "UPDATE staff SET role = $2, unit_code = $3 WHERE id = $1", string(role), unit)
}

// Count returns the number of accounts, and of those enabled.
func (s *Store) Count(ctx context.Context) (all, enabled int, err error) {
	err = s.db.QueryRowContext(ctx, "SELECT count(*), coalesce(sum(1 - disabled), 0) FROM staff").Scan(&all, &enabled)
	if err != nil {
		err = fmt.Errorf("count staff accounts: %w", err)
	}
	return all, enabled, err
}

// update runs an UPDATE of one account by id, deletes its sessions and
// runs w, in one transaction.
func (s *Store) update(ctx context.Context, w within, username, query string, args ...any) error {
	defer s.cache.clear()
	a, err := s.ByUsername(ctx, username)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, query, append([]any{a.ID}, args...)...); err != nil {
			return fmt.Errorf("update staff account: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE staff_id = $1", a.ID); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return w.run(tx)
	})
}

// Sign-in refusals, to be told apart with errors.Is.
var (
	ErrBadCredentials = &problem.Error{Kind: problem.Unauthorized, Detail: "the username or password is wrong"}
	ErrDisabled       = &problem.Error{Kind: problem.Unauthorized, Detail: "the account is disabled"}
)

// checkCredentials returns the account if password is right and the
// account enabled; otherwise an Unauthorized error that does not say which
// of the two was wrong. It upgrades the hash when the parameters changed.
func (s *Store) checkCredentials(ctx context.Context, username, password string) (Account, error) {
	bad := ErrBadCredentials
	a, hash, err := s.withHash(ctx, username)
	if problem.Is(err, problem.NotFound) {
		VerifyPassword(password, s.dummy)
		return Account{}, bad
	}
	if err != nil {
		return Account{}, err
	}
	if !VerifyPassword(password, hash) {
		return Account{}, bad
	}
	if a.Disabled {
		// Said only after the password was right: the holder may learn
		// why, a guesser may not.
		return Account{}, ErrDisabled
	}
	if needsRehash(hash, s.params) {
		if h, err := HashPassword(password, s.params); err == nil {
			s.db.ExecContext(ctx, "UPDATE staff SET password_hash = $2 WHERE id = $1", a.ID, h)
		}
	}
	return a, nil
}
