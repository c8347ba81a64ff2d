package server

import (
	"net/http"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

// allCapabilities are the capabilities whose API routes the server serves,
// as route lists (their Routes may be called on nil receivers).
func allCapabilities() []httpx.Routes {
	return []httpx.Routes{(*staff.Service)(nil), units.Default(), (*register.Register)(nil), (*audit.Reader)(nil), (*service.Service)(nil)}
}

// openGuards let every request through, for tests of what the server
// mounts rather than of who may call it.
func openGuards() map[httpx.Access]httpx.Guard {
	pass := func(next http.Handler, _ httpx.ErrorWriter) http.Handler { return next }
	return map[httpx.Access]httpx.Guard{httpx.AccessStaff: pass, httpx.AccessStaffOptional: pass}
}
