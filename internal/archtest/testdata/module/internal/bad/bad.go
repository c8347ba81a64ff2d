package bad

import (
	"database/sql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "modernc.org/sqlite"
)

func count(d *sql.DB) {
	d.QueryRow(`SELECT count(*) FROM persons`)
	d.QueryRow(`SELECT count(*) FROM households`) // other tables are fine
	_ = pgconn.PgError{}
	_ = "persons, as a word in a message, is fine"
}
