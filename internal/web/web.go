// Package web is the server-rendered user interface for staff: sign-in, the
// dashboard, searching the register, person and household pages with their
// history, and the forms of the civil events.
//
// Pages are html/template, embedded with their stylesheet and one small
// script, so the UI works air-gapped and under a strict content security
// policy (no inline script or style). Every string comes from package i18n.
//
// It never decides who may do what: the register checks every call against
// package auth and answers Forbidden, which is rendered as a 403 page.
// auth.Can is used only to hide menu entries a role could never use.
package web

import (
	"context"
	"github.com/populus-vn/populus/internal/people"
	"html/template"
	"log/slog"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
)

// Register is what the pages need of the population register;
// *register.Register provides it.
type Register interface {
	Get(ctx context.Context, p auth.Principal, pin string) (people.Person, error)
	GetAsOf(ctx context.Context, p auth.Principal, pin string, at time.Time) (people.Person, error)
	History(ctx context.Context, p auth.Principal, pin string) ([]people.Event, error)
	Search(ctx context.Context, p auth.Principal, q register.Query) ([]people.Person, string, error)
	Household(ctx context.Context, p auth.Principal, id string) (people.Household, []people.Member, error)
	RegisterBirth(ctx context.Context, p auth.Principal, b people.BirthRegistration) (people.Person, error)
	RegisterDeath(ctx context.Context, p auth.Principal, d people.DeathRegistration) (people.Person, error)
	RegisterMarriage(ctx context.Context, p auth.Principal, m people.MarriageRegistration) ([]people.Person, error)
	RecordDivorce(ctx context.Context, p auth.Principal, d people.DivorceRecord) ([]people.Person, error)
	RegisterResidence(ctx context.Context, p auth.Principal, rr people.ResidenceRegistration) (people.Person, error)
	RemoveResidence(ctx context.Context, p auth.Principal, rr people.ResidenceRemoval) (people.Person, error)
	Correct(ctx context.Context, p auth.Principal, c people.Correction) (people.Person, error)
}

var _ Register = (*register.Register)(nil)

// Deps are what the UI needs.
type Deps struct {
	Register Register
	Staff    *staff.Service
	Catalog  *i18n.Catalog
	Logger   *slog.Logger
	// Demo shows the demo accounts and their password on the sign-in page.
	Demo bool
	// SecureCookies marks the language and flash cookies Secure behind a
	// TLS-terminating proxy, as staff.Options.SecureCookies does for the
	// session.
	SecureCookies bool
	// Reconcile, when set, serves the reconciliation jobs' page.
	Reconcile Reconcile
	// Audit, when set, serves the audit log's page.
	Audit AuditLog
}

// AuditLog is what the audit log's page reads (*audit.Reader).
type AuditLog interface {
	Read(ctx context.Context, p auth.Principal, subject string, before int64, limit int) ([]audit.View, int64, error)
}

// Server renders the pages.
type Server struct {
	reg    Register
	rec    Reconcile
	audit  AuditLog
	staff  *staff.Service
	cat    *i18n.Catalog
	log    *slog.Logger
	demo   bool
	secure bool
	pages  map[string]map[string]*template.Template // language → page → template
	assetV string                                   // version of the static files, for cache busting
}

// New parses the templates for every language; an error is a defect in the
// embedded templates.
func New(d Deps) (*Server, error) {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{reg: d.Register, rec: d.Reconcile, audit: d.Audit, staff: d.Staff, cat: d.Catalog, log: log, demo: d.Demo, secure: d.SecureCookies}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.assetV = assetVersion()
	return s, nil
}
