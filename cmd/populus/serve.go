package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	f := newFlags("serve", env, stderr)
	f.server(&c, "json")
	if err := f.parse(args); err != nil {
		return err
	}
	log, err := c.logger(stderr)
	if err != nil {
		return err
	}
	p, err := open(ctx, c, log)
	if err != nil {
		return err
	}
	defer p.Close()
	return p.serve(ctx, c, log, false, nil)
}

// platform is the opened store and the services over it.
type platform struct {
	DB       *db.DB
	Audit    *audit.Log
	Units    *units.Registry
	Register *register.Register
	Staff    *staff.Store
}

func (p *platform) Close() {
	p.Audit.Close()
	p.DB.Close()
}

// open opens the store, applies migrations and builds the services.
func open(ctx context.Context, c config, log *slog.Logger) (*platform, error) {
	d, err := db.Open(ctx, c.DB, c.Data)
	if err != nil {
		return nil, err
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	if log != nil {
		log.Info("store open", "engine", d.Engine, "location", d.Location, "migrations_applied", len(applied))
	}
	u := units.Default()
	al := audit.NewBuffered(d, 20*time.Millisecond)
	if c.AuditStrict {
		al = audit.New(d)
	}
	pol := auth.Policy{ProvinceOf: func(code string) string {
		if x, ok := u.Lookup(code); ok {
			return x.ParentCode
		}
		return ""
	}}
	return &platform{DB: d, Audit: al, Units: u, Register: register.New(d, pol, al, u), Staff: staff.NewStore(d, staff.DefaultParams)}, nil
}

// serve runs the HTTP server until ctx ends, then shuts it down gracefully.
// ready, if set, is called with the listening address.
func (p *platform) serve(ctx context.Context, c config, log *slog.Logger, demo bool, ready func(addr string)) error {
	svc := staff.NewService(p.Staff, p.Audit, staff.Options{SecureCookies: c.SecureCookies})
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	ui, err := web.New(web.Deps{Register: p.Register, Staff: svc, Catalog: cat, Logger: log, Demo: demo, SecureCookies: c.SecureCookies})
	if err != nil {
		return err
	}
	h := server.New(server.Deps{DB: p.DB, Register: p.Register, Units: p.Units, Staff: svc, Web: ui, Logger: log})
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go p.purgeSessions(ctx, log)
	log.Info("listening", "addr", ln.Addr().String(), "version", version)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func runMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	f := newFlags("migrate", env, stderr)
	f.store(&c)
	if err := f.parse(args); err != nil {
		return err
	}
	d, err := db.Open(ctx, c.DB, c.Data)
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintln(stdout, "applied", m)
	}
	if err == nil && len(applied) == 0 {
		fmt.Fprintln(stdout, "the schema is up to date")
	}
	return err
}

// purgeSessions deletes expired sessions every hour until ctx ends.
func (p *platform) purgeSessions(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := p.Staff.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge of expired sessions failed", "err", err)
		} else if n > 0 {
			log.Info("expired sessions purged", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
