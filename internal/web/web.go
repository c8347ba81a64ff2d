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
// auth.CanFrom is used only to hide menu entries a principal could never
// use.
//
// Other capabilities contribute their pages as a Module: templates, a
// fragment of the message catalog, menu entries and page routes.
package web

import (
	"context"
	"fmt"
	"github.com/populus-vn/populus/internal/people"
	"html/template"
	"io/fs"
	"log/slog"
	"time"

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
	// Modules are the pages of other capabilities (the audit log's, the
	// reconciliation jobs'), in the order of their menu entries.
	Modules []Module
}

// Server renders the pages.
type Server struct {
	reg    Register
	mods   []Module
	menu   []MenuEntry
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
	s := &Server{reg: d.Register, mods: d.Modules, staff: d.Staff, log: log, demo: d.Demo, secure: d.SecureCookies}
	var frags []fs.FS
	names := map[string]bool{}
	s.menu = append(s.menu, shellMenu...)
	for _, m := range d.Modules {
		if m.Name == "" || names[m.Name] {
			return nil, fmt.Errorf("web: module name %q is empty or taken", m.Name)
		}
		names[m.Name] = true
		if m.Messages != nil {
			frags = append(frags, m.Messages)
		}
		s.menu = append(s.menu, m.Menu...)
	}
	cat, err := d.Catalog.With(frags...)
	if err != nil {
		return nil, err
	}
	s.cat = cat
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	s.assetV = assetVersion()
	return s, nil
}
