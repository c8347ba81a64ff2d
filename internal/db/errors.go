package db

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Error classification, by the drivers' error codes (never by message
// text), so that no capability needs to know a driver. PostgreSQL's codes
// are SQLSTATEs (Appendix A of its manual); SQLite's are result codes, whose
// low byte is the primary code and the rest the extended one.

func pgCode(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, true
	}
	return "", false
}

func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}

// IsConstraint reports whether err is the violation of any constraint:
// unique, primary key, foreign key, check or not null.
func IsConstraint(err error) bool {
	if c, ok := pgCode(err); ok {
		return len(c) == 5 && c[:2] == "23" // class 23: integrity constraint violation
	}
	if c, ok := sqliteCode(err); ok {
		return c&0xff == sqlite3.SQLITE_CONSTRAINT
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint (or primary
// key) violation.
func IsUniqueViolation(err error) bool {
	if c, ok := pgCode(err); ok {
		return c == "23505" // unique_violation
	}
	if c, ok := sqliteCode(err); ok {
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKey reports whether err is a foreign-key violation: a row that
// refers to one that does not exist, or the removal of one still referred to.
func IsForeignKey(err error) bool {
	if c, ok := pgCode(err); ok {
		return c == "23503" // foreign_key_violation
	}
	if c, ok := sqliteCode(err); ok {
		return c == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// IsRetryable reports whether err failed a transaction only because of a
// concurrent one, so that running it again may succeed: a serialisation
// failure or a deadlock on PostgreSQL, a busy or locked database on SQLite
// (after its busy timeout).
func IsRetryable(err error) bool {
	if c, ok := pgCode(err); ok {
		return c == "40001" || c == "40P01" // serialization_failure, deadlock_detected
	}
	if c, ok := sqliteCode(err); ok {
		return c&0xff == sqlite3.SQLITE_BUSY || c&0xff == sqlite3.SQLITE_LOCKED
	}
	return false
}
