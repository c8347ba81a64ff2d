package staff

import (
	"embed"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
)

//go:embed migrations
var migrations embed.FS

// Schema is the tables of staff accounts and their sessions. Sign-ins are
// audited (audit.Schema).
var Schema = &db.Schema{
	Name:     "staff",
	FS:       migrations,
	Requires: []*db.Schema{audit.Schema},
	// 0002_staff_audit of the single numbering.
	Legacy: map[int]int{2: 1},
}
