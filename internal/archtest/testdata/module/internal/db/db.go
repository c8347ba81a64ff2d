package db

import (
	"github.com/jackc/pgx/v5/pgconn"
	_ "modernc.org/sqlite"
)

var _ pgconn.PgError
