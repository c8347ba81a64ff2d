package main

import (
	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/secmon"
	"github.com/populus-vn/populus/internal/staff"
	datausage "github.com/populus-vn/populus/internal/usage"
)

// schemas are the capabilities' tables, in the order they are migrated (each
// schema's requirements are applied before it in any case).
var schemas = []*db.Schema{audit.Schema, staff.Schema, register.Schema, service.Schema, secmon.Schema, identity.Schema, oidc.Schema, events.Schema,
	consent.Schema, datausage.Schema, exchange.Schema}
