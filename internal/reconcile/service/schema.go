package service

import (
	"embed"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
)

//go:embed migrations
var migrations embed.FS

// Schema is the table of reconciliation jobs, each owned by a staff account;
// jobs read the register.
var Schema = &db.Schema{
	Name:     "reconcile",
	FS:       migrations,
	Requires: []*db.Schema{staff.Schema, register.Schema},
	// 0004_reconcile_jobs of the single numbering.
	Legacy: map[int]int{4: 1},
}
