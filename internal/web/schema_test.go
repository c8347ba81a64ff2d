package web_test

import (
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
)

// testSchemas are the tables this package's tests need.
var testSchemas = []*db.Schema{staff.Schema, register.Schema, service.Schema}
