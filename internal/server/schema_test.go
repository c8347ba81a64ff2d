package server

import (
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
)

// testSchemas are the tables this package's tests need.
var testSchemas = []*db.Schema{register.Schema, staff.Schema}
