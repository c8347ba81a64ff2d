// Package web is the shell of the server-rendered user interface for
// staff: the layout and its menu, sign-in, the language switch, the
// dashboard and the error page. The capabilities' pages (the register's,
// the audit log's, the reconciliation jobs') are modules around it.
//
// Pages are html/template, embedded with their stylesheet and one small
// script, so the UI works air-gapped and under a strict content security
// policy (no inline script or style). Every string comes from package i18n.
//
// It never decides who may do what: the capabilities check every call
// against package auth and answer Forbidden, which is rendered as a 403
// page. auth.CanFrom is used only to hide menu entries and dashboard cards
// a principal could never use.
//
// Capabilities contribute their pages as a Module: templates, template
// functions, a fragment of the message catalog, menu entries, dashboard
// cards and page routes.
package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/staff"
)

// DemoCitizen is a demo citizen's way in: the PIN, the name and the
// account's level (the password is staff.DemoPassword).
type DemoCitizen struct {
	PIN, Name string
	Level     int
}

// Deps are what the UI needs.
type Deps struct {
	Staff   *staff.Service
	Catalog *i18n.Catalog
	Logger  *slog.Logger
	// Demo shows the demo accounts and their password on the sign-in page.
	Demo bool
	// DemoCitizens are the demo's citizens with an electronic identity,
	// shown on the sign-in pages (the staff's and the citizens') of the
	// demo, so that a newcomer finds a way in without the console.
	DemoCitizens []DemoCitizen
	// SecureCookies marks the language and flash cookies Secure behind a
	// TLS-terminating proxy, as staff.Options.SecureCookies does for the
	// session.
	SecureCookies bool
	// Modules are the pages of the capabilities (the register's, the
	// reconciliation jobs', the audit log's), in the order of their menu
	// entries and dashboard cards.
	Modules []Module
}

// Server renders the pages.
type Server struct {
	mods   []Module
	menu   []MenuEntry
	cards  []moduleCard
	staff  *staff.Service
	cat    *i18n.Catalog
	log    *slog.Logger
	demo   bool
	secure bool
	// demoCitizens are Deps.DemoCitizens, in the demo only.
	demoCitizens []DemoCitizen
	pages        map[string]map[string]*template.Template // language → page → template
	// partials are each module's partials, by language and module: they
	// write its cards.
	partials map[string]map[string]*template.Template
	assetV   string // version of the static files, for cache busting
}

// New parses the templates for every language; an error is a defect in the
// embedded templates.
func New(d Deps) (*Server, error) {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{mods: d.Modules, staff: d.Staff, log: log, demo: d.Demo, secure: d.SecureCookies}
	if d.Demo {
		s.demoCitizens = d.DemoCitizens
	}
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
	for _, m := range d.Modules {
		if m.Cards == nil {
			continue
		}
		for _, c := range m.Cards(s.kit(m)) {
			if t := s.partials[i18n.Vietnamese][m.Name]; t == nil || t.Lookup(c.Template) == nil {
				return nil, fmt.Errorf("web: module %s: no template %q for its card", m.Name, c.Template)
			}
			s.cards = append(s.cards, moduleCard{Card: c, module: m.Name})
		}
	}
	s.assetV = assetVersion()
	return s, nil
}
