package audit

import (
	"github.com/populus-vn/populus/internal/db"
)

// testSchemas are the tables this package's tests need.
var testSchemas = []*db.Schema{Schema}
