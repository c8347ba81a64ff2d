package register

import (
	"embed"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
)

//go:embed migrations
var migrations embed.FS

// Schema is the register's tables: persons, households and person_events.
// Every change and read is audited in the same transaction (audit.Schema).
var Schema = &db.Schema{
	Name:     "register",
	FS:       migrations,
	Requires: []*db.Schema{audit.Schema},
	// 0001_register, 0005_person_birth_name and 0009_persons_keyed_by_pin
	// (SQLite only) of the single numbering.
	Legacy: map[int]int{1: 1, 5: 2, 9: 3},
}
