package audit

import (
	"embed"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/populus-vn/populus/internal/db"
)

//go:embed migrations
var migrations embed.FS

// Schema is the audit log's tables: audit_log on both engines; on SQLite,
// in the file of its own (File), the log-structured subject index (runs.go).
var Schema = &db.Schema{
	Name: "audit",
	FS:   migrations,
	// 0002_staff_audit, then 0006 to 0008 (SQLite only) of the single numbering.
	Legacy: map[int]int{2: 1, 6: 2, 7: 3, 8: 4},
}

// File is, on SQLite, the file of the audit tables, attached to every
// connection as the schema "audit" (migration 0003): each read of a person
// appends an entry, and a commit to the register's file would empty every
// reader's page cache (in WAL mode a connection drops its cache when another
// has committed to the same file), so that at 16 concurrent reads a fifth of
// the CPU went to freeing and re-reading pages. Queries name the audit
// tables without the schema; SQLite finds them in the attached file.
//
// A transaction that writes both files (a civil event and its audit entry)
// commits atomically in each, but in WAL mode not across the two: a power
// failure during that commit may keep the change and lose its audit entry,
// or the reverse. The change's own history entry (person_events, same file)
// still records who made it, when and why. Back up both files together.
var File = db.Attach{
	Schema: "audit",
	Path:   Path,
	Pragmas: []string{"journal_mode = WAL", "synchronous = NORMAL",
		// The writer appends, and indexes by subject in sorted batches.
		fmt.Sprintf("cache_size = -%d", 4096)},
}

func init() { db.RegisterAttach(File) }

// Path is the audit file of the SQLite store whose main file is at path:
// populus.db → populus-audit.db.
func Path(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-audit" + ext
}
