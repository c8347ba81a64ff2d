package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/staff"
)

// SeedDemo opens for the demo an active account of pin at level, with the
// published demo password (staff.DemoPassword) and phone, unless the
// person holds one already. Never for real accounts: it skips the
// register match and the one-time code.
func (s *Service) SeedDemo(ctx context.Context, pin, phone string, level int) error {
	// Stored as a registration stores it (+84…), so that the forgotten
	// password's check of the number finds it.
	if n := normalizePhone(phone); n != "" {
		phone = n
	}
	hash, err := staff.HashPassword(staff.DemoPassword, s.opts.Params)
	if err != nil {
		return err
	}
	now := db.FormatTime(s.now())
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.accountByPIN(ctx, tx, pin, true); !errors.Is(err, errNoAccount) {
			return err
		}
		by := ""
		if level >= Level2 {
			by = "system:demo"
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO eid_accounts (pin, state, level, phone, password_hash, level2_by, level2_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, pin, string(StateActive), level, phone, hash, by, map[bool]string{true: now}[by != ""], now)
		return err
	})
}
