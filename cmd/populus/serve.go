package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/audit/auditui"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/demobank"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/events/eventsui"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/exchange/exchangeui"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identityui"
	"github.com/populus-vn/populus/internal/observe"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/oidc/oidcui"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/report"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/reconcile/service/jobsui"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/secmon"
	"github.com/populus-vn/populus/internal/secmon/secmonui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/staff/staffui"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	var jc jobsConfig
	f := newFlags("serve", env, stdout)
	f.summary = "Runs the server (API and web UI) on the store of --data or --db, creating it on the first start."
	c.MayCreate = true
	f.server(&c, "json")
	f.jobs(&jc)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := c.checkServer(); err != nil {
		return err
	}
	logs := newLogBuffer(stderr, logFlushEvery)
	defer logs.Close()
	log, err := c.logger(logs)
	if err != nil {
		return err
	}
	log = slog.New(flushOnWarn{log.Handler(), logs})
	defer useLogger(log)()
	p, err := open(ctx, c, log)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := refuseDemoAccounts(ctx, c, p); err != nil {
		return err
	}
	_, enabled, err := p.Staff.Count(ctx)
	if err != nil {
		return err
	}
	return p.serve(ctx, c, jc, log, false, func(addr string) {
		if enabled == 0 {
			printFirstStart(stdout, addr, c)
		}
	})
}

// printFirstStart tells the operator of a store with no account how to
// create the first administrator, on standard output (standard error holds
// only log lines); the server keeps running meanwhile.
func printFirstStart(w io.Writer, addr string, c config) {
	fmt.Fprintf(w, "\nNo staff account can sign in yet. Create the first administrator, in another terminal:\n\n"+
		"    populus staff create admin %s --name 'Quản trị hệ thống' --role admin --unit VN\n\n"+
		"type its password twice (at least 12 characters, not shown), then sign in at http://%s/login\n"+
		"and create the other accounts under Tài khoản cán bộ (Staff accounts), or with 'populus staff create'.\n\n",
		storeArgs(c), addr)
}

// jobsConfig is the configuration of reconciliation jobs (internal/reconcile/service).
type jobsConfig struct {
	Workers, EngineWorkers, MaxRunning, MaxQueued, MaxUploadMiB, MaxRecords, MaxMemberGiB int
}

// jobs adds the flags of reconciliation jobs.
func (f *flags) jobs(j *jobsConfig) {
	f.int(&j.Workers, "reconcile-jobs", "POPULUS_RECONCILE_JOBS", 1, "reconciliation jobs run at once, all members together")
	f.int(&j.EngineWorkers, "reconcile-job-workers", "POPULUS_RECONCILE_JOB_WORKERS", 0, "workers of each reconciliation job (0: one per CPU)")
	f.int(&j.MaxRunning, "reconcile-max-running", "POPULUS_RECONCILE_MAX_RUNNING", 1, "reconciliation jobs one member (unit) may run at once")
	f.int(&j.MaxQueued, "reconcile-max-queued", "POPULUS_RECONCILE_MAX_QUEUED", 4, "reconciliation jobs one member may have waiting besides")
	f.int(&j.MaxUploadMiB, "reconcile-max-upload-mib", "POPULUS_RECONCILE_MAX_UPLOAD_MIB", 1024, "largest sector file a member may upload, in MiB")
	f.int(&j.MaxRecords, "reconcile-max-records", "POPULUS_RECONCILE_MAX_RECORDS", 10_000_000, "most records of one reconciliation job")
	f.int(&j.MaxMemberGiB, "reconcile-max-member-gib", "POPULUS_RECONCILE_MAX_MEMBER_GIB", 20, "most bytes, in GiB, of the reconciliation files (inputs and results) one member may store")
}

// reconcileService returns the reconciliation jobs' service. Its files go
// under --data/reconcile, on PostgreSQL too: that directory must be on
// durable storage the server keeps across restarts.
func (p *platform) reconcileService(c config, jc jobsConfig, cat *i18n.Catalog, log *slog.Logger) *service.Service {
	return service.New(service.Config{DB: p.DB, DataDir: c.Data, Audit: p.Audit, Logger: log,
		Guard:   p.Guard,
		Workers: jc.Workers, EngineWorkers: jc.EngineWorkers,
		Limits: service.Limits{MaxRunning: jc.MaxRunning, MaxQueued: jc.MaxQueued,
			MaxUploadBytes: int64(jc.MaxUploadMiB) << 20, MaxRecords: int64(jc.MaxRecords), MaxMemberBytes: int64(jc.MaxMemberGiB) << 30},
		Report: func(w io.Writer, s *engine.Summary) error { return report.Render(w, cat, s, i18n.Vietnamese) },
	})
}

// platform is the opened store and the services over it.
type platform struct {
	DB       *db.DB
	Audit    *audit.Log
	Units    *units.Registry
	Register *register.Register
	Staff    *staff.Store
	Identity *identity.Service
	// OIDC is the OpenID provider when serving with a master key.
	OIDC *oidc.Provider
	// Master is the master key, when one is given (it seals the OpenID
	// provider's, the consent receipts' and the exchange CA's keys);
	// Consent the citizens' consents to the exchange's members; Exchange
	// the data exchange (both built with it), ExchangeAddr its mutual-TLS
	// listener's address once it listens.
	Master       *oidc.MasterKey
	Consent      *consent.Store
	Exchange     *exchange.Exchange
	ExchangeAddr string
	// DemoCitizens are the demo's citizens with an account, which its
	// sign-in pages show (the demo only).
	DemoCitizens []web.DemoCitizen
	// Guard is the one access check, over the units and the audit log.
	Guard *auth.Guard
	// Limiter counts and limits each account's reads of people.
	Limiter *secmon.Limiter
}

func (p *platform) Close() {
	p.Audit.Close()
	p.DB.Close()
}

// open opens the store, applies migrations and builds the services.
func open(ctx context.Context, c config, log *slog.Logger) (*platform, error) {
	if err := requireData(c); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, c.DB, c.Data)
	if err != nil {
		return nil, err
	}
	applied, err := d.Migrate(ctx, schemas...)
	if err != nil {
		d.Close()
		return nil, err
	}
	if log != nil {
		log.Info("store open", "engine", d.Engine, "location", d.Location, "migrations_applied", len(applied))
	}
	var al *audit.Log
	switch {
	case c.AuditMode == "buffered" && !c.AuditStrict:
		al = audit.NewBuffered(d, 20*time.Millisecond)
	case c.AuditMode == "strict" || c.AuditMode == "" || c.AuditMode == "buffered":
		// On SQLite this replays the audit journal left by a previous
		// process, and refuses to start on a corrupt one.
		if al, err = audit.Open(ctx, d, audit.Options{Fsync: c.AuditFsync}); err != nil {
			d.Close()
			return nil, err
		}
	default:
		d.Close()
		return nil, fmt.Errorf("--audit-mode: %q is not strict or buffered", c.AuditMode)
	}
	u := units.Default()
	// The guard records through the read limiter (internal/secmon), which
	// refuses reads beyond an account's limits and passes the others on to
	// the audit log; outside serve the limits are zero: no limit.
	// The identity's matcher reads one person per registration for every
	// citizen: counted, never refused (registrations are throttled per
	// address instead).
	c.Reads.Exempt = append(c.Reads.Exempt, identity.Matcher().ActorID())
	lim := secmon.NewLimiter(al, c.Reads)
	g := auth.NewGuard(auth.NewPolicy(u), lim)
	reg := register.New(d, g, al, u)
	// Change subscriptions: each civil event writes its outbox rows in its
	// own transaction.
	reg.OnEvent(events.Record)
	eid := identity.New(d, reg, g, al, identity.NotifierFor(d, c.Outbox, c.SMSGatewayURL, c.SMSGatewayToken), identity.Options{SecureCookies: c.SecureCookies})
	return &platform{DB: d, Audit: al, Units: u, Guard: g, Limiter: lim, Register: reg, Staff: staff.NewStore(d, staff.DefaultParams), Identity: eid}, nil
}

// checkServer refuses, before any store is opened or created, the values
// of the server's flags that would stop it only later: a start that cannot
// happen must leave no store behind.
func (c config) checkServer() error {
	switch c.AuditMode {
	case "", "strict", "buffered":
	default:
		return fmt.Errorf("--audit-mode: %q is not strict or buffered", c.AuditMode)
	}
	for _, a := range []struct{ flag, addr string }{{"--addr", c.Addr}, {"--exchange-addr", c.ExchangeAddr}, {"--metrics-addr", c.MetricsAddr}} {
		if a.addr == "" {
			continue
		}
		_, port, err := net.SplitHostPort(a.addr)
		if err == nil {
			_, err = strconv.ParseUint(port, 10, 16)
		}
		if err != nil {
			return fmt.Errorf("%s %q: not an address to listen on (HOST:PORT, e.g. 127.0.0.1:8080)", a.flag, a.addr)
		}
	}
	return nil
}

// serve runs the HTTP server until ctx ends, then shuts it down gracefully.
// ready, if set, is called with the listening address.
// staffService is the accounts' service over p, with o's session options.
func (p *platform) staffService(o staff.Options) *staff.Service {
	o.Guard = p.Guard
	o.KnownUnit = func(code string) bool { _, ok := p.Units.Lookup(code); return ok }
	return staff.NewService(p.Staff, p.Audit, o)
}

func (p *platform) serve(ctx context.Context, c config, jc jobsConfig, log *slog.Logger, demo bool, ready func(addr string)) error {
	svc := p.staffService(staff.Options{SecureCookies: c.SecureCookies})
	// The shell's messages and the report's; the UI's modules add theirs.
	cat, err := i18n.Load(report.Messages)
	if err != nil {
		return err
	}
	jobs := p.reconcileService(c, jc, cat, log)
	if err := jobs.Start(ctx); err != nil {
		return err
	}
	// After the HTTP server: running jobs checkpoint and go back to the
	// queue, to resume at the next start.
	defer jobs.Stop()
	auditReader := audit.NewReader(p.Audit, p.Guard)
	monitor := secmon.New(p.DB, p.Guard, p.Audit, p.Limiter, c.Alerts, log)
	// Stopped, with a last store of its alerts, before the store closes.
	mctx, stopMonitor := context.WithCancel(ctx)
	monitorDone := make(chan struct{})
	go func() { defer close(monitorDone); monitor.Run(mctx) }()
	defer func() { stopMonitor(); <-monitorDone }()
	if c.SMSGatewayURL == "" && !c.Outbox {
		log.Warn("no SMS gateway configured (--sms-gateway-url): electronic identity registrations cannot send their codes")
	}
	if len(c.Reads.Exempt) > 0 {
		log.Warn("accounts exempt from the limits on reads", "accounts", c.Reads.Exempt)
	}
	var outbox *identity.Outbox
	if c.Outbox {
		outbox = identity.NewOutbox(p.DB)
	}
	caps := []httpx.Routes{svc, p.Units, p.Register, auditReader, jobs, monitor, p.Identity}
	modules := []web.Module{registerui.Module(p.Register), jobsui.Module(jobs), auditui.Module(auditReader, p.Staff), secmonui.Module(monitor),
		staffui.Module(svc), identityui.Module(p.Identity, outbox)}
	prov, err := p.openIDProvider(c, log)
	if err != nil {
		return err
	}
	// The change subscriptions' API and page take this place in the lists
	// (below); they are built once the exchange that decides them is.
	eventsCap, eventsModule := len(caps), len(modules)
	if prov != nil {
		p.OIDC = prov
		modules = append(modules, oidcui.Module(prov, p.Identity, p.Register, p.Audit))
		if demo {
			bank, err := demoBank(ctx, c, prov)
			if err != nil {
				return err
			}
			caps = append(caps, bank)
		}
	}
	// The data exchange, with the master key that seals its CA's key.
	if p.Master != nil {
		if p.Exchange, err = p.newExchange(ctx, c, demo, prov, *p.Master); err != nil {
			return err
		}
		caps = append(caps, p.Exchange)
		modules = append(modules, exchangeui.Module(p.Exchange))
	}
	caps, modules = p.consentAndUsage(caps, modules, auditReader)
	if p.Consent != nil {
		p.Consent.SetSiteURL(publicURL(c))
	}
	if p.Exchange != nil && p.Consent != nil {
		p.Exchange.SetConsents(p.Consent)
	}
	// Change subscriptions (internal/events): the members' API, the
	// administrators' page and the dispatcher, stopped before the store.
	// Built after the exchange and its consent check, which decide every
	// delivery and subscription: the dispatcher never runs without them
	// (without an exchange it does not run at all).
	evs, stopEvents, err := p.startEvents(ctx, c, demo, log)
	if err != nil {
		return err
	}
	defer stopEvents()
	caps = slices.Insert(caps, eventsCap, httpx.Routes(evs))
	modules = slices.Insert(modules, eventsModule, eventsui.Module(evs))
	ui, err := web.New(web.Deps{Staff: svc, Catalog: cat, Logger: log, Demo: demo, DemoCitizens: p.DemoCitizens, SecureCookies: c.SecureCookies,
		Modules: modules})
	if err != nil {
		return err
	}
	if prov != nil {
		caps = append(caps, prov)
		// A sign-in request that cannot go back to its service is told
		// to the citizen on the site's error page.
		prov.SetErrorPage(ui.RenderError)
	}
	guards := svc.Guards()
	maps.Copy(guards, p.Identity.Guards())
	if prov != nil {
		maps.Copy(guards, prov.Guards())
	}
	if p.Exchange != nil {
		maps.Copy(guards, p.Exchange.Guards())
	}
	if _, ok := guards[httpx.AccessMember]; !ok {
		guards[httpx.AccessMember] = noMemberGuard
	}
	h, err := server.New(server.Deps{DB: p.DB, Audit: p.Audit, Logger: log,
		Capabilities: append(caps, ui),
		Guards:       guards, PageError: ui.RenderError, Localize: ui.LocalizeProblem, HTTPS: c.SecureCookies})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	setGCPercent(c.GCPercent, os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"), physicalMemory(), log)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    httpx.ServerMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go p.purgeSessions(ctx, log)
	if c.DebugAddr != "" {
		_, stopDebug, err := serveDebug(c.DebugAddr, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stopDebug()
	}
	if c.MetricsAddr != "" {
		_, stopMetrics, err := serveMetrics(c.MetricsAddr, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stopMetrics()
	}
	if p.Exchange != nil && c.ExchangeAddr != "" {
		bound, stopExchange, err := serveExchange(ctx, c.ExchangeAddr, p.Exchange, h, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stopExchange()
		p.ExchangeAddr = bound
	}
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

// useLogger makes log slog's default logger, and so the log package's, until
// the returned function restores the previous one: what packages log through
// the default (httpx's panics and 5xx lines, sign-in throttling, the audit
// writer, net/http's ErrorLog) goes out in the configured format and level,
// never as a bare line on stderr.
func useLogger(log *slog.Logger) (restore func()) {
	prev, prevOut, prevFlags := slog.Default(), stdlog.Writer(), stdlog.Flags()
	slog.SetDefault(log)
	return func() {
		slog.SetDefault(prev)
		// SetDefault leaves the log package alone when given the
		// original default logger: restore it too.
		stdlog.SetOutput(prevOut)
		stdlog.SetFlags(prevFlags)
	}
}

// serveDebug serves net/http/pprof, and the metrics, on addr, on its own
// listener and mux so that nothing of it is reachable through the API's
// address.
func serveDebug(addr string, log *slog.Logger) (bound string, stop func(), err error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", observe.Handler())
	return serveManagement("--debug-addr", addr, mux, log)
}

// serveMetrics serves the Prometheus metrics (GET /metrics) on addr, a
// management listener apart from the API's.
func serveMetrics(addr string, log *slog.Logger) (bound string, stop func(), err error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", observe.Handler())
	return serveManagement("--metrics-addr", addr, mux, log)
}

// serveManagement serves h on its own listener at addr, the address of
// flag, with the configured logger as its ErrorLog.
func serveManagement(flag, addr string, h http.Handler, log *slog.Logger) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s %s: %w", flag, addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go srv.Serve(ln)
	log.Info("management listener", "flag", flag, "addr", ln.Addr().String())
	return ln.Addr().String(), func() { srv.Close() }, nil
}

func runMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	f := newFlags("migrate", env, stdout)
	f.summary = "Creates the store of --data or --db if need be, applies the database migrations and exits."
	f.store(&c)
	if err := f.parse(args); err != nil {
		return err
	}
	d, err := db.Open(ctx, c.DB, c.Data)
	if err != nil {
		return err
	}
	defer d.Close()
	applied, err := d.Migrate(ctx, schemas...)
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
		if err := p.Identity.Purge(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge of expired identity sessions and codes failed", "err", err)
		}
		if p.OIDC != nil {
			if err := p.OIDC.Purge(ctx); err != nil && ctx.Err() == nil {
				log.Warn("purge of expired OpenID requests and tokens failed", "err", err)
			}
		}
		if p.Exchange != nil {
			if err := p.Exchange.Purge(ctx); err != nil && ctx.Err() == nil {
				log.Warn("purge of expired exchange tokens failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logFlushEvery bounds how long a log line of level info or below waits in
// the buffer.
const logFlushEvery = 100 * time.Millisecond

// logBuffer batches log output. The access log writes a line per request, and
// a write(2) per line was a measurable part of a GET under load; lines now go
// out together, within logFlushEvery, at once for warnings and errors (see
// flushOnWarn), and on Close. Each record arrives in one Write, so lines
// never interleave.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogBuffer(w io.Writer, every time.Duration) *logBuffer {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the periodic flush and flushes.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// flushOnWarn passes records to the handler and flushes the buffer after
// each warning or error, so that those are never held back.
type flushOnWarn struct {
	slog.Handler
	buf *logBuffer
}

func (h flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushOnWarn) WithAttrs(as []slog.Attr) slog.Handler {
	return flushOnWarn{h.Handler.WithAttrs(as), h.buf}
}

func (h flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{h.Handler.WithGroup(name), h.buf}
}

// openIDProvider builds the OpenID provider, or returns nil (logged) when
// no master key is given; the demo makes one in its data directory.
func (p *platform) openIDProvider(c config, log *slog.Logger) (*oidc.Provider, error) {
	file := c.MasterKeyFile
	if file == "" && c.Outbox {
		file = filepath.Join(c.Data, "master.key")
	}
	if c.MasterKey == "" && file == "" {
		log.Warn("the OpenID provider is off, and the audit log's checkpoints are not signed: no master key ($POPULUS_MASTER_KEY or --master-key-file)")
		return nil, nil
	}
	master, err := oidc.LoadMasterKey(c.MasterKey, file, c.Outbox)
	if err != nil {
		return nil, err
	}
	p.Identity.SetSealer(master) // authenticator apps' secrets
	vkey, err := p.Audit.SignCheckpoints(context.Background(), master)
	if err != nil {
		return nil, err
	}
	log.Info("the audit log's checkpoints are signed; keep this key apart to check them (populus audit verify --verifier)", "verifier", vkey)
	p.Master = &master
	if err := p.Identity.SetPasskeys(passkeyOptions(publicURL(c))); err != nil {
		log.Warn("passkeys are off", "err", err)
	}
	return oidc.New(p.DB, p.Identity, p.Register, p.Units, p.Audit, oidc.Options{Issuer: publicURL(c) + oidc.Prefix, Master: master, Guard: p.Guard, Logger: log})
}

// setGCPercent sets the garbage collector's target (--gc-percent) unless
// GOGC is set, which the runtime has already applied. The server's Go heap
// is small (SQLite's pages are outside it) and turns over fast: with Go's
// default of 100, collecting it took a tenth of the CPU of a read (a
// target of 400 served 1.13 times the reads, bench/httpget). So that a
// large reconciliation job cannot grow the heap fivefold unchecked, a soft
// limit of half the machine's memory makes the collector work harder near
// it, unless GOMEMLIMIT is set.
func setGCPercent(percent int, gogc, gomemlimit string, physical uint64, log *slog.Logger) {
	if gogc != "" {
		log.Info("GOGC is set: --gc-percent is ignored", "GOGC", gogc)
		return
	}
	debug.SetGCPercent(percent)
	if gomemlimit == "" && physical > 0 {
		debug.SetMemoryLimit(int64(physical / 2))
	}
}

// publicURL is the site's URL: --public-url, or http:// and --addr (a
// wildcard host read as 127.0.0.1).
func publicURL(c config) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return "http://" + c.Addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// passkeyOptions are the passkeys' relying party for the site's URL: its
// host name, and the site as the origin. Browsers refuse an IP address as
// a passkey's site: a site at 127.0.0.1 offers passkeys at localhost
// (the same port), where the citizen opens it to use them.
func passkeyOptions(site string) identity.PasskeyOptions {
	u, err := url.Parse(site)
	if err != nil {
		return identity.PasskeyOptions{}
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		host = "localhost"
		u.Host = net.JoinHostPort(host, u.Port())
		if u.Port() == "" {
			u.Host = host
		}
	}
	return identity.PasskeyOptions{RPID: host, Origins: []string{u.Scheme + "://" + u.Host}}
}

// demoBank registers "Ngân hàng Demo" with the provider (anew at every
// start, with a new secret) and returns it.
func demoBank(ctx context.Context, c config, prov *oidc.Provider) (*demobank.Bank, error) {
	site := publicURL(c)
	secret, err := prov.Clients().Replace(ctx, oidc.ClientConfig{ID: demobank.ClientID, Name: "Ngân hàng Demo", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{demobank.RedirectURI(site)}, Scopes: demobank.Scopes, Essential: []string{"profile"}})
	if err != nil {
		return nil, fmt.Errorf("register the demo bank: %w", err)
	}
	return demobank.New(site, site+oidc.Prefix, secret), nil
}
