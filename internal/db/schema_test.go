package db_test

import (
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/register"
)

// testSchemas are the tables this package's tests need.
var testSchemas = []*db.Schema{register.Schema}
